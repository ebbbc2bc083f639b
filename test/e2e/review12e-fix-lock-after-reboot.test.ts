// Review of issue 12, adversarial: the kill session's `.seqnums.lock` left by a kill that died
// with its host (power loss mid-kill). After the reboot no process of the old boot can hold it,
// yet the lock names the old boot id, which processFate() calls 'not-visible' rather than 'gone'.
// The host's reboot is played by the lock's boot id (the file is what the dead kill wrote; only
// the machine's /proc/sys/kernel/random/boot_id changed, which a test cannot change).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, scratchDirectory, startCli, waitFor } from '../support/cli-harness.js';
import { FixVenue } from '../support/fix-venue.js';

let venue: FixVenue | undefined;
afterEach(async () => {
  await venue?.stop();
  venue = undefined;
});

interface Receipt {
  confirmed: boolean;
  problem?: string;
}

function placeResting(venue: FixVenue, ids: string[]): void {
  for (const id of ids) {
    venue.book.handle('DESK', 'ACME', 'D', {
      ClOrdID: id,
      Instrument: { Symbol: 'EURUSD' },
      Side: '1',
      OrderQtyData: { OrderQty: 1000 },
      OrdType: '2',
      Price: 1.05,
    });
  }
}

async function setUp(port: number) {
  const directory = await scratchDirectory('livegate-rev12e-lock-');
  const config = path.join(directory, 'livegate.yaml');
  await writeFile(
    config,
    [
      'broker: { kind: fix }',
      'fix:',
      '  host: 127.0.0.1',
      `  port: ${port}`,
      '  senderCompId: DESK',
      '  targetCompId: VENUE',
      '  killSenderCompId: DESK-KILL',
      '  reconnectDelayMs: 100',
      '  requestTimeoutMs: 1000',
      'http: { enabled: false }',
      '',
    ].join('\n'),
  );
  const stateDir = path.join(directory, 'state');
  const common = ['--config', config, '--state-dir', stateDir];
  const init = await runCli(['init', ...common, '--reason', 'set up']);
  expect(init.code, init.stderr).toBe(0);
  return { common, stateDir };
}

async function kill(common: string[], reason: string) {
  const result = await runCli([
    'kill',
    ...common,
    '--reason',
    reason,
    '--timeout',
    '8000',
    '--json',
  ]);
  if (result.stdout.trim() === '') throw new Error(`kill printed nothing: ${result.stderr}`);
  const receipt = (JSON.parse(result.stdout) as { venues: { receipts: Receipt[] } }).venues
    .receipts[0]!;
  return { result, receipt };
}

/** Kill A logs on to the kill session and dies there (SIGKILL): its lock stays behind. */
async function killDiesMidSession(common: string[], live: FixVenue): Promise<void> {
  live.book.refuseMassCancel = true;
  live.book.refuseCancelOf.add('11e6a7e0d1');
  const first = startCli(['kill', ...common, '--reason', 'desk A', '--timeout', '8000', '--json']);
  await waitFor('kill A logged on', () => live.loggedOn('DESK-KILL') || undefined, 20_000);
  first.child.kill('SIGKILL');
  await first.exited;
  live.book.refuseMassCancel = false;
  live.book.refuseCancelOf.clear();
}

describe('review 12e: a kill session lock left by a dead kill', () => {
  it('is taken over by the next kill in the same boot (pid dead)', async () => {
    venue = await FixVenue.start({ accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' } });
    const { common } = await setUp(venue.port);
    placeResting(venue, ['11e6a7e0d1']);
    await killDiesMidSession(common, venue);
    placeResting(venue, ['11e6a7e0d2']);
    const next = await kill(common, 'desk B');
    expect(next.receipt.problem).toBeUndefined();
    expect(next.result.code, next.result.stderr).toBe(0);
    expect(venue.book.openOrders()).toEqual([]);
  }, 60_000);

  // Was broken: a lock naming an earlier boot id was 'not-visible', never 'gone': after a host
  // crash every kill's FIX venue step was NOT CONFIRMED ("in use by pid N") until someone deleted it.
  it('is taken over by the next kill after the host rebooted', async () => {
    venue = await FixVenue.start({ accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' } });
    const { common, stateDir } = await setUp(venue.port);
    placeResting(venue, ['11e6a7e0d1']);
    await killDiesMidSession(common, venue);
    // The host comes back: same hostname and pid namespace, a new boot id.
    const lock = path.join(stateDir, 'fix', 'DESK-KILL-VENUE.seqnums.lock');
    const holder = JSON.parse(await readFile(lock, 'utf8')) as {
      process: { bootId: string };
    };
    holder.process.bootId = '00000000-0000-4000-8000-000000000000';
    await writeFile(lock, `${JSON.stringify(holder)}\n`);
    placeResting(venue, ['11e6a7e0d2']);
    const next = await kill(common, 'desk B after the reboot');
    console.log(JSON.stringify({ code: next.result.code, problem: next.receipt.problem }));
    expect(next.receipt.problem).toBeUndefined();
    expect(next.result.code, next.result.stderr).toBe(0);
    expect(venue.book.openOrders()).toEqual([]);
  }, 60_000);
});

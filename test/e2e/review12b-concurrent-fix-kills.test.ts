// Review 12b: two `livegate kill`s at once from the same state dir (an operator and the watchdog,
// or two operators) share the kill's FIX session (fix.killSenderCompId) and its sequence file
// fix/<killSenderCompId>-<target>.seqnums. Whatever happens to the pair, the sequence file must
// not be left behind what the venue saw: the NEXT kill must still log on and reach the venue.
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
  stillOpen: { clientOrderId?: string }[];
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
  const directory = await scratchDirectory('livegate-review12b-kills-');
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

describe('review12b: two livegate kills at once share the kill FIX session', () => {
  it('leaves a sequence file the next kill can log on with', async () => {
    venue = await FixVenue.start({ accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' } });
    const { common, stateDir } = await setUp(venue.port);
    placeResting(venue, ['11e6a7e0b1', '11e6a7e0b2', '11e6a7e0b3']);
    const [first, second] = await Promise.all([kill(common, 'desk A'), kill(common, 'desk B')]);
    const seqFile = path.join(stateDir, 'fix', 'DESK-KILL-VENUE.seqnums');
    const afterPair = (await readFile(seqFile, 'utf8')).trim();
    const venueExpects = venue.expectedFrom('DESK-KILL');
    console.log(
      'pair:',
      first.result.code,
      first.receipt.problem,
      '|',
      second.result.code,
      second.receipt.problem,
    );
    console.log(
      'seqnums after the pair:',
      JSON.stringify(afterPair),
      'venue expects',
      venueExpects,
    );

    // Later in the day new orders rest and the desk kills again: this kill must reach the venue.
    placeResting(venue, ['11e6a7e0b4']);
    const third = await kill(common, 'desk C');
    console.log('third:', third.result.code, third.receipt.problem);
    expect(Number(afterPair.split(' ')[0])).toBeGreaterThanOrEqual(venueExpects ?? 0);
    expect(third.receipt.problem ?? '').not.toMatch(/too low/);
    expect(third.result.code, third.result.stderr).toBe(0);
    expect(venue.book.openOrders()).toEqual([]);
  }, 60_000);

  it('a kill paused mid-session (SIGSTOP, a swapped-out host) does not write back numbers behind the other kill', async () => {
    venue = await FixVenue.start({ accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' } });
    const { common, stateDir } = await setUp(venue.port);
    placeResting(venue, ['11e6a7e0c1', '11e6a7e0c2']);
    const first = startCli([
      'kill',
      ...common,
      '--reason',
      'desk A',
      '--timeout',
      '8000',
      '--json',
    ]);
    const live = venue;
    await waitFor('kill A logged on', () => live.loggedOn('DESK-KILL') || undefined, 20_000);
    first.child.kill('SIGSTOP');
    const second = await kill(common, 'desk B');
    console.log('B:', second.result.code, second.receipt.problem);
    // B neither waits to its end silently nor touches the session: not confirmed, A named.
    expect(second.result.code).toBe(1);
    expect(second.receipt.confirmed).toBe(false);
    expect(second.receipt.problem).toContain(`in use by pid ${first.child.pid}`);
    first.child.kill('SIGCONT');
    const firstResult = await first.exited;
    console.log(
      'A:',
      firstResult.code,
      firstResult.stdout.slice(0, 300),
      firstResult.stderr.slice(-600),
    );
    const seqFile = path.join(stateDir, 'fix', 'DESK-KILL-VENUE.seqnums');
    const afterPair = (await readFile(seqFile, 'utf8')).trim();
    const venueExpects = venue.expectedFrom('DESK-KILL');
    console.log(
      'seqnums after the pair:',
      JSON.stringify(afterPair),
      'venue expects',
      venueExpects,
    );

    placeResting(venue, ['11e6a7e0c3']);
    const third = await kill(common, 'desk C');
    console.log('third:', third.result.code, third.receipt.problem);
    expect(Number(afterPair.split(' ')[0])).toBeGreaterThanOrEqual(venueExpects ?? 0);
    expect(third.receipt.problem ?? '').not.toMatch(/too low/);
    expect(third.result.code, third.result.stderr).toBe(0);
    expect(venue.book.openOrders()).toEqual([]);
  }, 90_000);
  it('a kill SIGKILLed mid-session leaves numbers the next kill logs on with', async () => {
    venue = await FixVenue.start({ accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' } });
    const { common, stateDir } = await setUp(venue.port);
    placeResting(venue, ['11e6a7e0e1', '11e6a7e0e2']);
    const first = startCli([
      'kill',
      ...common,
      '--reason',
      'desk A',
      '--timeout',
      '8000',
      '--json',
    ]);
    const live = venue;
    await waitFor(
      'kill A asked for mass status',
      () => live.messagesFrom('DESK-KILL', 'AF').length > 0 || undefined,
      20_000,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    console.log(
      'after A:',
      (await readFile(path.join(stateDir, 'fix', 'DESK-KILL-VENUE.seqnums'), 'utf8')).trim(),
      'venue expects',
      venue.expectedFrom('DESK-KILL'),
    );
    placeResting(venue, ['11e6a7e0e3']);
    const second = await kill(common, 'desk B');
    console.log('second:', second.result.code, second.receipt.problem);
    expect(second.receipt.problem ?? '').not.toMatch(/too low|not above/);
    expect(second.result.code, second.result.stderr).toBe(0);
    expect(venue.book.openOrders()).toEqual([]);
  }, 60_000);
});

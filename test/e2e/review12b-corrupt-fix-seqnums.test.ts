// Review 12b: the kill session's sequence file damaged between two kills (a crash of the host
// with delayed allocation leaves it empty; a restore or an operator's edit leaves garbage). A
// kill must then fail closed with an error that names the file, or still reach the venue; it must
// never log on silently with numbers the venue has already seen.
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, scratchDirectory, startCli } from '../support/cli-harness.js';
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

async function setUp(port: number) {
  const directory = await scratchDirectory('livegate-review12b-seq-');
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
    '6000',
    '--json',
  ]);
  if (result.stdout.trim() === '') throw new Error(`kill printed nothing: ${result.stderr}`);
  const receipt = (JSON.parse(result.stdout) as { venues: { receipts: Receipt[] } }).venues
    .receipts[0]!;
  return { result, receipt };
}

describe('review12b: a damaged kill-session sequence file', () => {
  for (const [what, content] of [
    ['empty (zero length)', ''],
    ['garbage', 'not numbers at all\n'],
    ['numbers of another session (1 1)', '1 1\n'],
  ] as const) {
    it(`${what}: the kill names the file, exit 1, never a silent logon at 1`, async () => {
      venue = await FixVenue.start({ accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' } });
      const { common, stateDir } = await setUp(venue.port);
      const first = await kill(common, 'first');
      expect(first.result.code, first.result.stderr).toBe(0);
      await writeFile(path.join(stateDir, 'fix', 'DESK-KILL-VENUE.seqnums'), content);
      const second = await kill(common, 'second');
      console.log(what, '->', second.result.code, second.receipt.problem);
      expect(second.result.code).toBe(1);
      expect(second.receipt.problem ?? '').toMatch(/seqnums/);
    }, 60_000);
  }
  it('a FIFO in its place: the kill does not hang, it ends by --timeout naming the file', async () => {
    venue = await FixVenue.start({ accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' } });
    const { common, stateDir } = await setUp(venue.port);
    const first = await kill(common, 'first');
    expect(first.result.code, first.result.stderr).toBe(0);
    const file = path.join(stateDir, 'fix', 'DESK-KILL-VENUE.seqnums');
    await rm(file);
    execFileSync('mkfifo', [file]);
    const second = startCli(['kill', ...common, '--reason', 'fifo', '--timeout', '4000', '--json']);
    const outcome = await Promise.race([
      second.exited,
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000)),
    ]);
    if (outcome === 'hung') second.child.kill('SIGKILL');
    const status = await runCli(['status', ...common]);
    console.log('status after:', status.stdout.split('\n').slice(0, 4).join(' | '));
    expect(outcome, `kill still running 30 s after a 4 s --timeout: ${second.stderr()}`).not.toBe(
      'hung',
    );
    expect(second.stdout()).toMatch(/seqnums/);
  }, 60_000);
});

// Review 11: `--desk FX` under `risk.desks.fx` is not desk fx: the engine runs with no desk check at
// all (no warning, no refusal) and buys far past the desk's maxPosition. The same engine under
// `--desk fx` is held to it. A slip in one letter should not switch a desk limit off silently.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal, type JournalEntry } from '../../src/adapters/sinks/journal-reader.js';
import {
  assertBuilt,
  scratchDirectory,
  startCli,
  waitFor,
  type RunningCli,
} from '../support/cli-harness.js';

const running: RunningCli[] = [];
afterEach(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
});

async function runUnderDesk(desk: string) {
  assertBuilt();
  const directory = await scratchDirectory('livegate-review11-desk-');
  const stateDir = path.join(directory, 'state');
  const config = path.join(directory, 'livegate.yaml');
  await writeFile(
    config,
    [
      `stateDir: ${stateDir}`,
      'killSwitch: { store: file }',
      'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 40 } }',
      'strategy: { module: one-order-per-tick, options: { quantity: 5, side: buy } }',
      'engine: { heartbeatIntervalMs: 200 }',
      'http: { enabled: false }',
      'risk:',
      '  desks: { fx: { maxPosition: 10 } }',
      '  deskView: { maxAgeMs: 3000 }',
      '',
    ].join('\n'),
  );
  const engine = startCli(['run', '--config', config, '--engine-id', 'case', '--desk', desk]);
  running.push(engine);
  const journal = async (): Promise<JournalEntry[]> =>
    (await readJournal(path.join(stateDir, 'journal', 'case'))).events.filter(() => true);
  // Refusing to start is a fine answer too; otherwise wait for 10 orders judged.
  await waitFor(
    'ten orders judged, or the engine gone',
    async () => {
      if (engine.child.exitCode !== null) return true;
      const events = await journal().catch((): JournalEntry[] => []);
      const judged = events.filter((e) => e.type === 'OrderSubmitted' || e.type === 'OrderDenied');
      return judged.length >= 10 || undefined;
    },
    30_000,
  );
  if (engine.child.exitCode !== null) return { exited: engine.child.exitCode, submitted: 0 };
  const events = await journal();
  return {
    exited: null,
    submitted: events.filter((e) => e.type === 'OrderSubmitted').length,
    deskDenied: events.filter((e) => e.type === 'OrderDenied' && e.code === 'DESK_LIMIT').length,
  };
}

describe('review 11: a desk name that differs only by case', () => {
  it('control: --desk fx buys at most the desk maxPosition (10 = two orders of 5)', async () => {
    const outcome = await runUnderDesk('fx');
    expect(outcome.submitted).toBeLessThanOrEqual(2);
  }, 60_000);

  it('--desk FX under risk.desks.fx is refused or held to the same limit', async () => {
    const outcome = await runUnderDesk('FX');
    expect(outcome.exited !== null || outcome.submitted <= 2, JSON.stringify(outcome)).toBe(true);
  }, 60_000);
});

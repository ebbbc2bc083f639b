// Review 11: a `limits set` written while an engine is SIGSTOPped names it (exit 1). After SIGCONT,
// does the engine send orders above the new limit before it applies the revision? The kill switch
// guards a thaw with its lease (KILL_SWITCH_STATE_STALE); the limits have no such guard.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal, type JournalEntry } from '../../src/adapters/sinks/journal-reader.js';
import {
  assertBuilt,
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
  type RunningCli,
} from '../support/cli-harness.js';

const running: RunningCli[] = [];
afterEach(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGCONT');
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
});

describe('review 11: a limits change made while an engine is frozen', () => {
  it('no order above the new limit goes out after the thaw', async () => {
    assertBuilt();
    const directory = await scratchDirectory('livegate-review11-thaw-');
    const stateDir = path.join(directory, 'state');
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(
      config,
      [
        `stateDir: ${stateDir}`,
        'killSwitch: { store: file }',
        'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 100 } }',
        'strategy: { module: periodic, options: { quantity: 5, every: 1 } }',
        'engine: { heartbeatIntervalMs: 200 }',
        'http: { enabled: false }',
        '',
      ].join('\n'),
    );
    const engine = startCli(['run', '--config', config, '--engine-id', 'thaw']);
    running.push(engine);
    const journal = async (): Promise<JournalEntry[]> =>
      (await readJournal(path.join(stateDir, 'journal', 'thaw'))).events.filter(() => true);
    await waitFor(
      'orders',
      async () =>
        (await journal().catch((): JournalEntry[] => [])).some(
          (e) => e.type === 'OrderSubmitted',
        ) || undefined,
      20_000,
    );
    await delay(1500); // its report is registered: the set below names it
    engine.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await delay(500);
    const set = await runCli([
      'limits',
      'set',
      'preTrade.defaults.maxQuantity=3',
      '--config',
      config,
      '--reason',
      'halve',
      '--by',
      'alice',
      '--timeout',
      '1000',
    ]);
    expect(set.code, set.stdout + set.stderr).toBe(1);
    engine.child.kill('SIGCONT');
    await waitFor(
      'the engine to apply revision 1',
      async () => (await journal()).some((e) => e.type === 'LimitsApplied') || undefined,
      20_000,
    );
    const events = await journal();
    const applied = events.findIndex((e) => e.type === 'LimitsApplied');
    const above = events
      .slice(0, applied)
      .filter((e) => e.type === 'OrderSubmitted' && e.time > stoppedAt + 100);
    expect(above.length, `after the thaw, before LimitsApplied: ${JSON.stringify(above[0])}`).toBe(
      0,
    );
  }, 60_000);
});

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
    await delay(1500); // its report is registered: each set below names it
    // Six freezes, each with a tighter size: the order of timers after a thaw varies.
    const slipped: JournalEntry[] = [];
    for (const [revision, size] of [
      [1, 4.5],
      [2, 4],
      [3, 3.5],
      [4, 3],
      [5, 2.5],
      [6, 2],
    ] as const) {
      engine.child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      await delay(500);
      const set = await runCli([
        'limits',
        'set',
        `preTrade.defaults.maxQuantity=${size}`,
        '--config',
        config,
        '--reason',
        'tighter',
        '--by',
        'alice',
        '--timeout',
        '1000',
      ]);
      expect(set.code, set.stdout + set.stderr).toBe(1);
      engine.child.kill('SIGCONT');
      const applied = await waitFor(
        `the engine to apply revision ${revision}`,
        async () => {
          const events = await journal();
          const index = events.findIndex(
            (e) => e.type === 'LimitsApplied' && e.revision === revision,
          );
          return index < 0 ? undefined : { events, index };
        },
        20_000,
      );
      slipped.push(
        ...applied.events
          .slice(0, applied.index)
          .filter((e) => e.type === 'OrderSubmitted' && e.time > stoppedAt + 100),
      );
      await delay(300);
    }
    expect(
      slipped.length,
      `after a thaw, before LimitsApplied: ${JSON.stringify(slipped[0])}`,
    ).toBe(0);
  }, 60_000);
});

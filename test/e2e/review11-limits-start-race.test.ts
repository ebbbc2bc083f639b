// Review 11: `limits set` waits for the engines registered when it wrote. An engine that has read
// the limits at start but not yet published its first report is not waited for: the set exits 0
// while that engine starts trading on the revision it read, above the new limit, until its next poll.
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
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
});

async function attempt(afterMs: number) {
  const directory = await scratchDirectory('livegate-review11-race-');
  const stateDir = path.join(directory, 'state');
  const config = path.join(directory, 'livegate.yaml');
  await writeFile(
    config,
    [
      `stateDir: ${stateDir}`,
      'killSwitch: { store: file, pollIntervalMs: 1000 }',
      'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 100 } }',
      'strategy: { module: periodic, options: { quantity: 5, every: 1 } }',
      'engine: { heartbeatIntervalMs: 1000 }',
      '',
    ].join('\n'),
  );
  const set = (value: number) =>
    runCli([
      'limits',
      'set',
      `preTrade.defaults.maxQuantity=${value}`,
      '--config',
      config,
      '--reason',
      'race',
      '--by',
      'alice',
      '--timeout',
      '5000',
      '--loosen',
    ]);
  expect((await set(10)).code).toBe(0);
  const engine = startCli([
    'run',
    '--config',
    config,
    '--engine-id',
    'race',
    '--http',
    '127.0.0.1:0',
  ]);
  running.push(engine);
  await delay(afterMs);
  const tighten = await set(4);
  const returnedAt = Date.now();
  if (tighten.code !== 0) return { afterMs, code: tighten.code, above: 0 };
  const journal = async (): Promise<JournalEntry[]> =>
    (await readJournal(path.join(stateDir, 'journal', 'race'))).events.filter(() => true);
  const seen = await waitFor(
    'revision 2 applied',
    async () => {
      const events = await journal().catch((): JournalEntry[] => []);
      const index = events.findIndex((e) => e.type === 'LimitsApplied' && e.revision === 2);
      return index < 0 ? undefined : { events, index };
    },
    20_000,
  );
  const above = seen.events
    .slice(0, seen.index)
    .filter((e) => e.type === 'OrderSubmitted' && e.time > returnedAt).length;
  return { afterMs, code: 0, stdout: tighten.stdout, above };
}

describe('review 11: a limits set during an engine start', () => {
  it('never returns 0 while a starting engine will trade above it', async () => {
    assertBuilt();
    const outcomes = [];
    for (const afterMs of [0, 100, 200, 300, 400, 600, 800]) outcomes.push(await attempt(afterMs));
    const broken = outcomes.filter((o) => o.code === 0 && o.above > 0);
    expect(broken, JSON.stringify(outcomes)).toEqual([]);
  }, 240_000);
});

// Review 11 (holds?): desk fx, maxPosition 1000. A buys to 800 (its own maxPosition) and is
// SIGKILLed; B buys 400 at a time. B must stay denied: A counts at its last report, never zero;
// and when the store freezes (SIGSTOP) B's view goes stale and B still sends nothing.
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
import { PrivateRedisServer, redisServerInstalled } from '../support/redis-server.js';

const running: RunningCli[] = [];
let redis: PrivateRedisServer | undefined;
afterEach(async () => {
  redis?.thaw();
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
  await redis?.destroy();
  redis = undefined;
});

type Entry = JournalEntry & { readonly code?: string };

describe('review 11: desk check with a killed engine and a frozen store', () => {
  it('B never buys past the desk limit', async () => {
    assertBuilt();
    if (!redisServerInstalled('review11 desk')) return;
    redis = await PrivateRedisServer.start();
    const directory = await scratchDirectory('livegate-review11-deskkill-');
    const stateDir = path.join(directory, 'state');
    const configOf = async (name: string, quantity: number, preTrade: string) => {
      const file = path.join(directory, `${name}.yaml`);
      await writeFile(
        file,
        [
          `stateDir: ${stateDir}`,
          `killSwitch: { store: redis, url: "${redis!.url}", namespace: r11desk }`,
          'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 20 } }',
          `strategy: { module: one-order-per-tick, options: { quantity: ${quantity}, side: buy } }`,
          'engine: { heartbeatIntervalMs: 200 }',
          'http: { enabled: false }',
          'risk:',
          `  preTrade: ${preTrade}`,
          '  desks: { fx: { maxPosition: 1000 } }',
          '  deskView: { maxAgeMs: 2000 }',
          '',
        ].join('\n'),
      );
      return file;
    };
    const a = await configOf('a', 100, '{ defaults: { maxPosition: 800 } }');
    const b = await configOf('b', 400, '{}');
    const init = await runCli(['init', '--config', a, '--reason', 'review', '--by', 'tester']);
    expect(init.code, init.stderr).toBe(0);
    const engineA = startCli(['run', '--config', a, '--engine-id', 'desk-a', '--desk', 'fx']);
    running.push(engineA);
    const journal = async (id: string): Promise<Entry[]> =>
      (await readJournal(path.join(stateDir, 'journal', id))).events.filter(() => true);
    await waitFor(
      'A at 800',
      async () =>
        (await journal('desk-a').catch((): Entry[] => [])).some(
          (e) => e.type === 'OrderDenied' && e.code === 'MAX_POSITION_EXCEEDED',
        ) || undefined,
      30_000,
    );
    await delay(600); // A's report with 800 is published
    engineA.child.kill('SIGKILL');
    const engineB = startCli(['run', '--config', b, '--engine-id', 'desk-b', '--desk', 'fx']);
    running.push(engineB);
    await waitFor(
      'B judged orders',
      async () =>
        (await journal('desk-b').catch((): Entry[] => [])).filter((e) => e.type === 'OrderDenied')
          .length >= 5 || undefined,
      30_000,
    );
    redis.freeze();
    await delay(4_000);
    redis.thaw();
    await delay(1_000);
    const events = await journal('desk-b');
    const codes = new Map<string, number>();
    for (const e of events.filter((e) => e.type === 'OrderDenied'))
      codes.set(e.code ?? '?', (codes.get(e.code ?? '?') ?? 0) + 1);
    const submitted = events.filter((e) => e.type === 'OrderSubmitted').length;
    expect(submitted, JSON.stringify([...codes])).toBe(0);
  }, 120_000);
});

// Review 11: an engine started while its Redis is down "runs on its config limits until a later
// poll". When Redis comes back, does it trade on the (looser) config before applying the stored,
// tighter revision? The kill switch fails closed through the outage; the question is the instant
// the store answers again.
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
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
  await redis?.destroy();
  redis = undefined;
});

describe('review 11: an engine started while the store is down', () => {
  it('sends no order above the stored limits once the store is back', async () => {
    assertBuilt();
    if (!redisServerInstalled('review11 store down at start')) return;
    redis = await PrivateRedisServer.start({ persistent: true });
    const directory = await scratchDirectory('livegate-review11-down-');
    const stateDir = path.join(directory, 'state');
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(
      config,
      [
        `stateDir: ${stateDir}`,
        `killSwitch: { store: redis, url: "${redis.url}", namespace: r11down }`,
        'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 100 } }',
        'strategy: { module: periodic, options: { quantity: 5, every: 1 } }',
        'engine: { heartbeatIntervalMs: 200 }',
        'http: { enabled: false }',
        '',
      ].join('\n'),
    );
    const ok = async (args: readonly string[]) => {
      const result = await runCli(args);
      expect(result.code, result.stderr).toBe(0);
    };
    await ok(['init', '--config', config, '--reason', 'review', '--by', 'tester']);
    await ok([
      'limits',
      'set',
      'preTrade.defaults.maxQuantity=3',
      '--config',
      config,
      '--reason',
      'small',
      '--by',
      'alice',
    ]);
    await redis.stop();
    const engine = startCli(['run', '--config', config, '--engine-id', 'down']);
    running.push(engine);
    await delay(3_000);
    if (engine.child.exitCode !== null) {
      // Refusing to start without the store is an answer that holds.
      return;
    }
    await redis.start();
    const journal = async (): Promise<JournalEntry[]> =>
      (await readJournal(path.join(stateDir, 'journal', 'down'))).events.filter(() => true);
    const seen = await waitFor(
      'the engine to apply revision 1',
      async () => {
        const events = await journal().catch((): JournalEntry[] => []);
        const index = events.findIndex((e) => e.type === 'LimitsApplied');
        return index < 0 ? undefined : { events, index };
      },
      30_000,
    );
    const above = seen.events.slice(0, seen.index).filter((e) => e.type === 'OrderSubmitted');
    expect(above.length, `before LimitsApplied: ${JSON.stringify(above[0])}`).toBe(0);
  }, 90_000);
});

// Review 11c: a store restarted empty numbers again from revision 1, and an engine applies the
// store's latest record "whenever its revision differs from the one it enforces". When the engine
// enforced revision 1 before the wipe (one earlier `set`), the operator's first `set` after it is
// revision 1 again: same number, other values. The engine never applies it (1 is not different
// from 1), yet reports revision 1, so `set` counts it as "exactly the written revision" and exits 0
// while the engine keeps the old revision's looser maxQuantity (50, not the new 10).
// Seen: set exit 0 ("wiped1 enforces revision 1 after 5 ms"), then 118 orders of 20 in 3 s after the
// confirmation (review11-limits-store-wiped covers the engine at revision 2; this is revision 1).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
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

async function cli(args: readonly string[]) {
  const result = await runCli(args);
  if (result.code !== 0) throw new Error(`livegate ${args.join(' ')}: ${result.stderr}`);
  return result;
}

describe('review 11c: limits after the store lost them at revision 1', () => {
  it('a set confirmed by every engine is enforced by every engine', async () => {
    assertBuilt();
    if (!redisServerInstalled('review11c limits wiped at revision 1')) return;
    redis = await PrivateRedisServer.start();
    const directory = await scratchDirectory('livegate-review11c-wiped1-');
    const stateDir = path.join(directory, 'state');
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(
      config,
      [
        `stateDir: ${stateDir}`,
        `killSwitch: { store: redis, url: "${redis.url}", namespace: r11cwiped1 }`,
        'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 40 } }',
        'strategy: { module: periodic, options: { quantity: 20, every: 1 } }',
        'engine: { heartbeatIntervalMs: 200 }',
        'http: { enabled: false }',
        '',
      ].join('\n'),
    );
    const init = ['init', '--config', config, '--reason', 'review', '--by', 'tester'];
    await cli(init);
    const set = (value: number, ...extra: string[]) =>
      runCli([
        'limits',
        'set',
        `preTrade.defaults.maxQuantity=${value}`,
        ...extra,
        '--config',
        config,
        '--reason',
        'review',
        '--by',
        'alice',
        '--timeout',
        '5000',
      ]);
    const engine = startCli(['run', '--config', config, '--engine-id', 'wiped1']);
    running.push(engine);
    const journal = async (): Promise<JournalEntry[]> =>
      (await readJournal(path.join(stateDir, 'journal', 'wiped1'))).events.filter(() => true);
    await waitFor(
      'orders',
      async () =>
        (await journal().catch(() => [])).some((e) => e.type === 'OrderSubmitted') || undefined,
      20_000,
    );
    expect((await set(50)).code).toBe(0); // revision 1: orders of 20 pass

    await redis.stop();
    await redis.start(); // empty, as a server without persistence restarts
    await cli(init);
    const reinitializedAt = Date.now();
    // Any order after the re-init shows the engine trading again (the last entry is rarely the
    // submit itself: fills and heartbeats follow it). On a timeout, name what the engine did last.
    let lastTypes: string[] = [];
    await waitFor(
      'orders again after the restart',
      async () => {
        const events = await journal();
        lastTypes = events.slice(-8).map((e) => e.type);
        return events.some((e) => e.type === 'OrderSubmitted' && e.time > reinitializedAt)
          ? true
          : undefined;
      },
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; the journal ends ${lastTypes.join(', ')}`);
    });

    const tighten = await set(10); // revision 1 again, in the emptied store
    const confirmedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const after = (await journal()).filter((e) => e.time > confirmedAt);
    const above = after.filter(
      (e) =>
        e.type === 'OrderSubmitted' &&
        (e as unknown as { order: { quantity: number } }).order.quantity > 10,
    ).length;
    expect(above, `set exited ${tighten.code}: ${tighten.stdout}`).toBe(0);
  }, 90_000);
});

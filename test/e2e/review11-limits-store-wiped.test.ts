// Review 11: Redis restarted empty (no persistence, as the machine's server runs) loses the limits
// history while the engines still enforce revision 2. The next `limits set` writes revision 1; the
// engines never apply it (1 is not newer than 2) yet their reports "confirm" it (2 >= 1), so `set`
// exits 0 saying every engine enforces it, and the engine keeps sending orders above the new limit.
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

describe('review 11: limits after the store lost them', () => {
  it('a set confirmed by every engine is enforced by every engine', async () => {
    assertBuilt();
    if (!redisServerInstalled('review11 limits wiped')) return;
    redis = await PrivateRedisServer.start();
    const directory = await scratchDirectory('livegate-review11-wiped-');
    const stateDir = path.join(directory, 'state');
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(
      config,
      [
        `stateDir: ${stateDir}`,
        `killSwitch: { store: redis, url: "${redis.url}", namespace: r11wiped }`,
        'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 40 } }',
        'strategy: { module: periodic, options: { quantity: 5, every: 1 } }',
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
    const engine = startCli(['run', '--config', config, '--engine-id', 'wiped']);
    running.push(engine);
    const journal = async (): Promise<JournalEntry[]> =>
      (await readJournal(path.join(stateDir, 'journal', 'wiped'))).events.filter(() => true);
    await waitFor(
      'orders',
      async () =>
        (await journal().catch(() => [])).some((e) => e.type === 'OrderSubmitted') || undefined,
      20_000,
    );
    expect((await set(8)).code).toBe(0);
    expect((await set(6)).code).toBe(0); // revision 2: orders of 5 still pass

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

    const tighten = await set(3);
    const confirmedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const submittedAfter = (await journal()).filter(
      (e) => e.type === 'OrderSubmitted' && e.time > confirmedAt,
    ).length;
    expect(submittedAfter, `set exited ${tighten.code}: ${tighten.stdout}`).toBe(0);
  }, 90_000);
});

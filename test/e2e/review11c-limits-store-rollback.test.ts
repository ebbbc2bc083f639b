// Review 11c: a limits store that comes back with an OLDER history (Redis restarted from its last
// RDB snapshot, or a failover to a replica that lagged) silently undoes a confirmed tightening.
// Revision 1 caps maxQuantity at 50, the snapshot is taken, revision 2 tightens to 10 and every
// engine confirms it (`set` exits 0). Redis crashes and restarts from the snapshot: its latest record
// is revision 1 again, and the engine applies it ("applies the store's latest record whenever its
// revision differs"), renews its lease and sends orders of 20 again, past the confirmed 10. No
// `--loosen`, no admin, no new record in the history: nobody loosened, yet the limit went up.
// Seen: LimitsApplied revision 1 after the restart, then 194 orders of 20 in 5 s (the kill switch's
// record was unchanged across the snapshot, so nothing else stopped it).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
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

describe('review 11c: a limits store restored from an older snapshot', () => {
  it('does not take an engine back above a confirmed tightening', async () => {
    assertBuilt();
    if (!redisServerInstalled('review11c limits rollback')) return;
    redis = await PrivateRedisServer.start();
    const directory = await scratchDirectory('livegate-review11c-rollback-');
    const stateDir = path.join(directory, 'state');
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(
      config,
      [
        `stateDir: ${stateDir}`,
        `killSwitch: { store: redis, url: "${redis.url}", namespace: r11crb }`,
        'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 40 } }',
        'strategy: { module: periodic, options: { quantity: 20, every: 1 } }',
        'engine: { heartbeatIntervalMs: 200 }',
        'http: { enabled: false }',
        '',
      ].join('\n'),
    );
    const init = await runCli(['init', '--config', config, '--reason', 'review', '--by', 'tester']);
    expect(init.code, init.stderr).toBe(0);
    const set = (value: number) =>
      runCli([
        'limits',
        'set',
        `preTrade.defaults.maxQuantity=${value}`,
        '--config',
        config,
        '--reason',
        'review',
        '--by',
        'alice',
        '--timeout',
        '5000',
      ]);
    const engine = startCli(['run', '--config', config, '--engine-id', 'rollback']);
    running.push(engine);
    const journal = async (): Promise<JournalEntry[]> =>
      (await readJournal(path.join(stateDir, 'journal', 'rollback'))).events.filter(() => true);
    await waitFor(
      'orders',
      async () =>
        (await journal().catch(() => [])).some((e) => e.type === 'OrderSubmitted') || undefined,
      20_000,
    );

    const first = await set(50);
    expect(first.code, first.stderr).toBe(0);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    await client.save(); // the snapshot Redis restarts from: revision 1
    client.disconnect();
    const tighten = await set(10);
    expect(tighten.code, tighten.stderr).toBe(0); // confirmed by the engine: no order above 10

    await redis.kill();
    await redis.start(); // loads dump.rdb: the limits list ends at revision 1 again
    const restartedAt = Date.now();
    await delay(5_000);

    const after = (await journal()).filter((e) => e.time > restartedAt);
    const applied = after
      .filter((e) => e.type === 'LimitsApplied')
      .map((e) => (e as unknown as { revision: number }).revision);
    const above = after.filter(
      (e) =>
        e.type === 'OrderSubmitted' &&
        (e as unknown as { order: { quantity: number } }).order.quantity > 10,
    ).length;
    expect(
      { applied, ordersAboveConfirmedLimit: above },
      `revisions applied after the restart: ${applied.join(', ')}`,
    ).toEqual({ applied: [], ordersAboveConfirmedLimit: 0 });
  }, 90_000);
});

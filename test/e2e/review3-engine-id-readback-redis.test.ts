// Adversarial review 3 (wt-review3) of issue 9's heartbeat read-back.
//
// GUARANTEE (docs/kill-switch.md, "Confirmed kill"): "every running engine also reads its own id
// back at each heartbeat; when the key holds another process's report it engages `engine:<id>` ...
// and so does the other engine when it reads back. Neither trades again until an operator stops one
// and resets that scope. Bound: two heartbeats (`heartbeatIntervalMs`, 1 s) after the second process
// first publishes; until then both may trade." (docs/errors.md ERR_ENGINE_ID_IN_USE says the same.)
//
// BREAK: EngineReporter.beat() calls publish() and then checkIdHeld() in the same turn. On Redis
// (one ioredis connection, commands pipelined in order) the HGET is queued right behind the
// engine's own HSET, so it always reads the engine's own report back: the other process's report
// would have to land in the sub-millisecond gap between the two commands. Two `livegate run` with
// one id on a Redis store therefore never see each other. (The file store only catches it because
// its read races its own write; NATS KV put-then-get on one connection has the same shape.)
//
// EVIDENCE (this test, private redis-server, heartbeat 1000 ms, two `run --engine-id twice` spawned
// 500 ms apart, both passed the start-up claim; when spawned at the same instant the read-back does
// catch it now and then, when the two heartbeats happen to land within a few ms of each other): after 12 s `engine:twice` was never written, both
// processes alive, the key alternating between the two pids, both SAFE with ordersSubmitted rising
// (seen by hand: pid 7400 SAFE 492 … 1194, pid 7401 SAFE 598 … 1399 over 9 s, 40 s after start).
//
// SUGGESTED FIX: read back *before* publishing (read, compare with the last thing this process
// wrote, then write), or publish with a compare-and-set on the previous value/revision (Redis:
// WATCH/Lua comparing the stored pid+startTicks; NATS: kv.update(key, value, lastRevision)) so
// an overwrite by another process is seen as a failed CAS; at the least, do not issue the read in
// the same turn as the engine's own write.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli, writeFleetConfig } from '../support/cli-harness.js';
import { PrivateRedisServer, redisServerInstalled } from '../support/redis-server.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

describe('review 3: two processes under one engine id on a Redis store', () => {
  it('two `run` with one id 500 ms apart on Redis: the second is refused at start or both are stopped by the heartbeat read-back', async (context) => {
    if (!redisServerInstalled('review3 engine id read-back')) {
      context.skip();
      return;
    }
    const server = await PrivateRedisServer.start();
    cleanup.push(() => server.kill());
    const redis = new Redis(server.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
    cleanup.push(() => Promise.resolve(redis.disconnect()));
    {
      const directory = await mkdtemp(path.join(os.tmpdir(), 'review3-idrb-'));
      const config = await writeFleetConfig(
        directory,
        { store: 'redis', url: server.url, failClosedAfterMs: 5000, pollIntervalMs: 100 },
        1000,
      );
      await redis.flushall();
      const common = ['--config', config, '--state-dir', path.join(directory, 'state')];
      expect((await runCli(['init', ...common, '--reason', 'r3', '--by', 'r3'])).code).toBe(0);
      const args = [
        'run',
        ...common,
        '--engine-id',
        'twice',
        '--strategy',
        'one-order-per-tick',
        '--rate',
        '100',
        '--ticks',
        '0',
      ];
      // The second 500 ms after the first: still before the first's first report (start-up takes
      // longer), so both pass the claim, and their heartbeats run half a period apart.
      const first = startCli(args);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const pair = [first, startCli(args)];
      const running = pair;
      cleanup.push(async () => {
        for (const cli of running) cli.child.kill('SIGKILL');
        await Promise.all(running.map((cli) => cli.exited));
      });
      // Fixed: within 2 heartbeats (+ start-up) the second is refused by the claim or both are
      // stopped by the read-back (engine:twice engaged). The code before let both trade on.
      const deadline = Date.now() + 8000;
      let outcome: string | undefined;
      while (Date.now() < deadline && outcome === undefined) {
        if (pair.some((cli) => cli.child.exitCode === 1)) outcome = 'refused at start';
        else if ((await redis.keys('*engine:twice*')).length > 0) outcome = 'engaged';
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(outcome).toBeDefined();
      console.log(`two runs 500 ms apart on Redis: ${String(outcome)}`);
      return;
    }
  }, 90_000);
});

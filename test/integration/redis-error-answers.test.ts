// Issue 9, scenario 4 for Redis: a server that answers reads with error replies (a permission
// refusal here; LOADING after a restart and BUSY during a script are the same class) is not a
// store the engine can trust, but neither is its answer a fact about the state. It counts as no
// contact: the engine fails closed after failClosedAfterMs, naming the error, and a refusal that
// ends sooner latches nothing. A real private redis-server; the refusal is a real ACL change.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisKillSwitchStore } from '../../src/adapters/stores/redis-kill-switch-store.js';
import { KillSwitch } from '../../src/killswitch/kill-switch.js';
import {
  PrivateRedisServer,
  redisServerInstalled,
  uniqueNamespace,
} from '../support/redis-server.js';

const CONTACT = { failClosedAfterMs: 1_000, leaseMs: 200, pollIntervalMs: 100 };
const MARGIN_MS = 3_000;
const installed = redisServerInstalled('Redis error-answer tests');

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - started;
}

describe.skipIf(!installed)('a Redis server that answers reads with errors', () => {
  let server: PrivateRedisServer;
  let admin: Redis;
  const cleanups: (() => Promise<unknown> | void)[] = [];
  beforeAll(async () => {
    server = await PrivateRedisServer.start();
    admin = new Redis(server.url);
  });
  afterEach(async () => {
    await admin.acl('SETUSER', 'default', '+get', '+hgetall', '+lrange');
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    admin.disconnect();
    await server.destroy();
  });

  async function safeEngine() {
    const store = new RedisKillSwitchStore({
      url: server.url,
      namespace: uniqueNamespace('errors'),
      requestTimeoutMs: 500,
      pollIntervalMs: 100,
      failClosedAfterMs: CONTACT.failClosedAfterMs,
    });
    cleanups.push(() => store.close());
    const engine = await KillSwitch.open(store, {
      actor: 'engine-1',
      createIfMissing: true,
      contact: CONTACT,
    });
    cleanups.push(() => engine.close());
    engine.watch();
    expect(engine.state).toBe('SAFE');
    return engine;
  }

  it('a refusal shorter than failClosedAfterMs latches nothing: the engine is SAFE again after it', async () => {
    const engine = await safeEngine();
    await admin.acl('SETUSER', 'default', '-get');
    await new Promise((resolve) => setTimeout(resolve, CONTACT.failClosedAfterMs / 2));
    await admin.acl('SETUSER', 'default', '+get');
    await new Promise((resolve) => setTimeout(resolve, 5 * CONTACT.pollIntervalMs));
    // The code before this treated any error reply as unreadable state: latched at once, for good.
    expect(engine.failClosedReason).toBeNull();
    expect(engine.state).toBe('SAFE');
  });

  it('fails closed after failClosedAfterMs of refused reads, with ERR_STORE_ERROR naming the reply', async () => {
    const engine = await safeEngine();
    const refusedAt = performance.now();
    await admin.acl('SETUSER', 'default', '-get');
    await until(
      'the engine failing closed',
      () => engine.failClosedReason !== null,
      CONTACT.failClosedAfterMs + MARGIN_MS,
    );
    const elapsed = performance.now() - refusedAt;
    expect(engine.state).toBe('ENGAGED');
    expect(engine.failClosedReason?.code).toBe('ERR_STORE_ERROR');
    expect(engine.failClosedReason?.message).toContain('NOPERM');
    expect(elapsed).toBeGreaterThanOrEqual(CONTACT.failClosedAfterMs - CONTACT.pollIntervalMs);
    console.info(`reads refused -> failed closed after ${elapsed.toFixed(0)} ms`);
  });
});

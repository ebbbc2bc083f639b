// A private redis-server is stopped, frozen and muted: engines fail closed in time, stay closed until
// an operator reset, and never trade on a state they missed.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  RedisKillSwitchStore,
  type RedisKillSwitchStoreOptions,
} from '../../src/adapters/stores/redis-kill-switch-store.js';
import { isLivegateError } from '../../src/core/errors.js';
import type { KillSwitchRecord } from '../../src/core/kill-switch-record.js';
import { KillSwitch } from '../../src/killswitch/kill-switch.js';
import { resetDecision } from '../../src/killswitch/transitions.js';
import { change, recordingWatcher, waitFor } from '../contracts/kill-switch-store.contract.js';
import {
  PrivateRedisServer,
  redisServerInstalled,
  uniqueNamespace,
} from '../support/redis-server.js';

const FAIL_CLOSED_AFTER_MS = 1_000;
const REQUEST_TIMEOUT_MS = 500;
/** Slack for a loaded 2-CPU CI machine on top of what the options promise. */
const MARGIN_MS = 1_500;
const RUNS = 3;

const installed = redisServerInstalled('RedisKillSwitchStore outage tests');

describe.skipIf(!installed)('RedisKillSwitchStore when the server goes away', () => {
  let server: PrivateRedisServer;
  const stores: RedisKillSwitchStore[] = [];
  const switches: KillSwitch[] = [];
  const measured: Record<string, number[]> = { stop: [], freeze: [], 'busy loop, SIGKILL': [] };

  const open = (options: Partial<RedisKillSwitchStoreOptions> = {}) => {
    const store = new RedisKillSwitchStore({
      url: server.url,
      namespace: uniqueNamespace('outage'),
      failClosedAfterMs: FAIL_CLOSED_AFTER_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      pollIntervalMs: 100,
      ...options,
    });
    stores.push(store);
    return store;
  };

  /** An engine's kill switch on `store`, SAFE and watching, plus an operator's client of the same state. */
  async function openEngine() {
    const store = open();
    const operator = open({ namespace: store.namespace });
    const killSwitch = await KillSwitch.open(store, {
      actor: 'engine-a',
      createIfMissing: true,
      contact: { failClosedAfterMs: FAIL_CLOSED_AFTER_MS, pollIntervalMs: 100, leaseMs: 200 },
    });
    switches.push(killSwitch);
    killSwitch.watch();
    const watcher = recordingWatcher();
    store.watch(watcher);
    await waitFor(() => watcher.records.length === 1, 'the first record');
    expect(killSwitch.state).toBe('SAFE');
    return { store, operator, killSwitch, watcher };
  }

  /** Time from `cause` to the engine's fail-closed latch; checks the error and the gates. */
  async function timeToFailClosed(
    engine: Awaited<ReturnType<typeof openEngine>>,
    cause: () => void | Promise<void>,
  ): Promise<number> {
    expect(engine.killSwitch.failClosedReason).toBeNull();
    const started = performance.now();
    await cause();
    await waitFor(
      () => engine.killSwitch.failClosedReason !== null,
      'the engine failing closed after the server went away',
      FAIL_CLOSED_AFTER_MS + MARGIN_MS,
    );
    const elapsed = performance.now() - started;
    const error = engine.killSwitch.failClosedReason;
    expect(error?.code).toBe('ERR_STORE_UNREACHABLE');
    expect(error?.message).toMatch(
      new RegExp(
        `^no valid read of the kill-switch state at redis:127\\.0\\.0\\.1:${server.port}/global for \\d+ ms: .+`,
      ),
    );
    expect(engine.killSwitch.state).toBe('ENGAGED');
    expect(engine.killSwitch.failClosedReason?.code).toBe('ERR_STORE_UNREACHABLE');
    // Silence is judged over failClosedAfterMs, not on the first failed call or closed socket.
    expect(elapsed).toBeGreaterThan(FAIL_CLOSED_AFTER_MS / 2);
    return elapsed;
  }

  /** read() and update() reject with ERR_STORE_UNREACHABLE within the request timeout: no hang. */
  async function expectCallsFailFast(store: RedisKillSwitchStore): Promise<void> {
    for (const call of [() => store.read(), () => store.update(() => change())]) {
      const started = performance.now();
      const error = await call().then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(isLivegateError(error, 'ERR_STORE_UNREACHABLE')).toBe(true);
      expect(performance.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
    }
  }

  /** Back: reads succeed again, yet the engine stays ENGAGED until an operator resets. */
  async function expectLatchedUntilReset(engine: Awaited<ReturnType<typeof openEngine>>) {
    const before = await readWhenReachable(engine.store);
    const fresh = recordingWatcher();
    engine.store.watch(fresh);
    await waitFor(() => fresh.records.length === 1, 'a watcher served after the outage');
    expect(engine.killSwitch.state).toBe('ENGAGED');
    const { record } = await engine.operator.update(resetDecision('server back', 'operator'));
    expect(record.revision).toBe(before.revision + 1);
    await waitFor(() => engine.killSwitch.state === 'SAFE', 'SAFE after the reset');
    expect(engine.killSwitch.failClosedReason).toBeNull();
    expect(engine.watcher.records.at(-1)).toEqual(record);
  }

  beforeAll(async () => {
    server = await PrivateRedisServer.start({ persistent: true });
  });

  afterEach(async () => {
    for (const killSwitch of switches.splice(0)) killSwitch.close();
    for (const store of stores.splice(0)) await store.close();
    server.thaw();
    if (server.pid === undefined) await server.start();
  });

  afterAll(async () => {
    await server?.destroy();
    const figures = Object.entries(measured)
      .map(([cause, times]) => `${cause}: ${times.map((ms) => ms.toFixed(0)).join(', ')} ms`)
      .join('; ');
    console.info(
      `[redis outage] time to fail closed with failClosedAfterMs ${FAIL_CLOSED_AFTER_MS}: ${figures}`,
    );
  });

  it('fails closed within failClosedAfterMs of the server stopping, and stays ENGAGED after it returns until a reset', async () => {
    const engine = await openEngine();
    for (let run = 1; run <= RUNS; run += 1) {
      const elapsed = await timeToFailClosed(engine, () => server.stop());
      measured['stop']?.push(elapsed);
      await expectCallsFailFast(engine.store);
      await server.start();
      await expectLatchedUntilReset(engine);
    }
  });

  it('fails closed when the server freezes with its connections open, and reads resume after SIGCONT', async () => {
    const engine = await openEngine();
    for (let run = 1; run <= RUNS; run += 1) {
      const elapsed = await timeToFailClosed(engine, () => server.freeze());
      measured['freeze']?.push(elapsed);
      await expectCallsFailFast(engine.store);
      server.thaw();
      await expectLatchedUntilReset(engine);
    }
  });

  it('stays ENGAGED after a restart that lost the data, and a reset writes above every revision seen', async () => {
    const engine = await openEngine();
    await engine.operator.update(() => change({ state: 'SAFE', reason: 'revision 2' }));
    await waitFor(() => engine.killSwitch.revision === 2, 'revision 2 at the engine');
    await timeToFailClosed(engine, () => server.stop());
    await server.start();
    const admin = new Redis(server.url);
    await admin.flushall();
    admin.disconnect();
    const lost = await stateErrorWhenReachable(engine.store);
    expect(lost.message).toMatch(/revision 2 was seen but the state is gone/);
    const fresh = recordingWatcher();
    engine.store.watch(fresh);
    await waitFor(() => fresh.errors.length === 1, 'the lost state reported to a watcher');
    expect(fresh.errors[0]?.code).toBe('ERR_STATE_UNREADABLE');
    expect(engine.killSwitch.state).toBe('ENGAGED');
    // The reset over lost state starts a new generation: "newer" is decided by the generation,
    // not by revisions that restarted, so the running engine is released all the same.
    const before = engine.killSwitch.record?.generation;
    const { record } = await engine.operator.update(resetDecision('data lost', 'operator'));
    expect(record.generation).not.toBe(before);
    await waitFor(() => engine.killSwitch.state === 'SAFE', 'SAFE after the reset');
    expect(engine.killSwitch.failClosedReason).toBeNull();
  });

  it('does not latch an engine whose own event loop stalled while the server stayed healthy', async () => {
    const engine = await openEngine();
    // A synchronous strategy hogging the loop for twice failClosedAfterMs: no read could run.
    const blockedUntil = performance.now() + 2 * FAIL_CLOSED_AFTER_MS;
    while (performance.now() < blockedUntil) {
      // busy
    }
    // The lease ran out during the stall: gate 3 would deny until the re-read.
    expect(performance.now()).toBeGreaterThan(engine.killSwitch.leaseExpiresAt);
    const observedUntil = performance.now() + FAIL_CLOSED_AFTER_MS;
    await waitFor(() => performance.now() > observedUntil, 'the observation window');
    expect(engine.killSwitch.failClosedReason).toBeNull();
    expect(engine.killSwitch.state).toBe('SAFE');
    expect(engine.killSwitch.leaseExpiresAt).toBeGreaterThan(performance.now());
  });

  it('fails closed when the server is killed and every turn of its busy event loop takes 350 ms', async () => {
    const engine = await openEngine();
    const started = performance.now();
    await server.kill();
    // Each turn of the loop is blocked for 350 ms (a slow strategy), and timers run between turns.
    while (engine.killSwitch.failClosedReason === null && performance.now() - started < 8_000) {
      await new Promise((resolve) => setImmediate(resolve));
      const turnEnds = performance.now() + 350;
      while (performance.now() < turnEnds) {
        // busy
      }
    }
    const elapsed = performance.now() - started;
    expect(engine.killSwitch.failClosedReason?.code).toBe('ERR_STORE_UNREACHABLE');
    expect(engine.killSwitch.state).toBe('ENGAGED');
    // failClosedAfterMs, one grace of the same length after a stall, and the turns in between.
    expect(elapsed).toBeLessThan(2 * FAIL_CLOSED_AFTER_MS + 3 * 350 + MARGIN_MS);
    measured['busy loop, SIGKILL']?.push(elapsed);
  });

  it('re-reads when its subscriber connection is killed, so a PUBLISH it missed is not lost', async () => {
    const writer = open();
    // No periodic re-read in this test: only the reconnect's re-read can deliver the change.
    const store = open({ namespace: writer.namespace, pollIntervalMs: 60_000 });
    const watcher = recordingWatcher();
    store.watch(watcher);
    await writer.update(() => change({ state: 'SAFE' }));
    await waitFor(() => watcher.records.length === 1, 'revision 1');
    const admin = new Redis(server.url);
    try {
      expect(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBeGreaterThanOrEqual(1);
      await writer.update(() => change({ reason: 'published to nobody' }));
      await waitFor(() => watcher.records.length === 2, 'revision 2 after resubscribing');
      expect(watcher.records[1]?.reason).toBe('published to nobody');
      expect(watcher.errors).toEqual([]);
    } finally {
      admin.disconnect();
    }
  });

  it('catches a change that was never published with the periodic re-read', async () => {
    const pollIntervalMs = 200;
    const store = open({ pollIntervalMs });
    const watcher = recordingWatcher();
    store.watch(watcher);
    const { record } = await store.update(() => change({ state: 'SAFE' }));
    await waitFor(() => watcher.records.length === 1, 'revision 1');
    const silent: KillSwitchRecord = { ...record, revision: 2, state: 'ENGAGED', reason: 'silent' };
    const admin = new Redis(server.url);
    try {
      await admin
        .multi()
        .rpush(store.keys.revisions, JSON.stringify(silent))
        .set(store.keys.state, JSON.stringify(silent))
        .exec();
    } finally {
      admin.disconnect();
    }
    const started = performance.now();
    await waitFor(() => watcher.records.length === 2, 'the unpublished revision 2');
    expect(watcher.records[1]).toEqual(silent);
    expect(performance.now() - started).toBeLessThan(pollIntervalMs + MARGIN_MS);
  });

  it('keeps revisions gap-free under many concurrent writers from two clients', async () => {
    const first = open();
    const second = open({ namespace: first.namespace });
    const writesPerClient = 100;
    const writes = Array.from({ length: 2 * writesPerClient }, (_, index) =>
      (index % 2 === 0 ? first : second).update((current) =>
        change({
          state: index % 3 === 0 ? 'SAFE' : 'ENGAGED',
          reason: `writer ${index} after ${current?.revision ?? 0}`,
        }),
      ),
    );
    const results = await Promise.all(writes);
    expect(results.every((result) => result.changed)).toBe(true);
    const history = await second.history();
    expect(history.map((record) => record.revision)).toEqual(
      Array.from({ length: 2 * writesPerClient }, (_, index) => index + 1),
    );
    history.forEach((record) => expect(record.reason).toMatch(` after ${record.revision - 1}`));
    expect(new Set(history.map((record) => /writer (\d+)/.exec(record.reason)?.[1])).size).toBe(
      2 * writesPerClient,
    );
  });
});

async function readWhenReachable(store: RedisKillSwitchStore): Promise<KillSwitchRecord> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    try {
      const record = await store.read();
      if (record !== null) return record;
    } catch (error) {
      if (!isLivegateError(error, 'ERR_STORE_UNREACHABLE') || performance.now() > deadline)
        throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The ERR_STATE_UNREADABLE a read gives once the server answers again. */
async function stateErrorWhenReachable(store: RedisKillSwitchStore): Promise<Error> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const error = await store.read().then(
      () => new Error('expected the read to fail'),
      (thrown: unknown) => thrown,
    );
    if (isLivegateError(error, 'ERR_STATE_UNREADABLE')) return error;
    if (!isLivegateError(error, 'ERR_STORE_UNREACHABLE') || performance.now() > deadline)
      throw error;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

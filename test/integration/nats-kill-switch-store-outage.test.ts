// The NATS store fails closed when its server stops or freezes, recovers after, and keeps writers gap-free.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  NatsKillSwitchStore,
  type NatsKillSwitchStoreOptions,
} from '../../src/adapters/stores/nats-kill-switch-store.js';
import { isLivegateError, type LivegateError } from '../../src/core/errors.js';
import type { KillSwitchRecord } from '../../src/core/kill-switch-record.js';
import type { KillSwitchWatcher } from '../../src/core/ports.js';
import { KillSwitch } from '../../src/killswitch/kill-switch.js';
import { change } from '../contracts/kill-switch-store.contract.js';
import {
  deleteNamespace,
  freePort,
  natsServerBinaryAvailable,
  PrivateNatsServer,
  uniqueNamespace,
} from '../support/nats-server.js';

const FAIL_CLOSED_AFTER_MS = 1_000;
const REQUEST_TIMEOUT_MS = 500;
/** Timers on a loaded 2-CPU CI machine fire late (never early): bounds get this much slack. */
const MARGIN_MS = 3_000;
/** How long a client may take to find a restarted or thawed server again. */
const RECOVERY_MS = 20_000;

const binaryAvailable = await natsServerBinaryAvailable('NatsKillSwitchStore outage tests');

function settings(servers: string, namespace: string): NatsKillSwitchStoreOptions {
  return {
    servers,
    namespace,
    failClosedAfterMs: FAIL_CLOSED_AFTER_MS,
    pollIntervalMs: 100,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  };
}

/** Polls (no fixed sleeps) until the probe passes; async probes may reject while it fails. */
async function eventually(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve(probe()).catch(() => false)) return;
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Asserts that a condition holds throughout a window (a negative claim needs the whole window). */
async function holdsFor(what: string, condition: () => boolean, windowMs: number): Promise<void> {
  const end = performance.now() + windowMs;
  while (performance.now() < end) {
    if (!condition()) throw new Error(`Stopped holding: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function rejection(promise: Promise<unknown>): Promise<LivegateError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (thrown: unknown) => thrown,
  );
  if (!isLivegateError(error)) throw error;
  return error;
}

const CONTACT = { failClosedAfterMs: FAIL_CLOSED_AFTER_MS, pollIntervalMs: 100, leaseMs: 200 };

/** When (performance.now()) the switch's fail-closed latch was first seen set after `since`. */
async function failedClosedAfter(killSwitch: KillSwitch, since: number): Promise<number> {
  await eventually(
    'the fail-closed latch',
    () => killSwitch.failClosedReason !== null,
    FAIL_CLOSED_AFTER_MS + 10_000,
  );
  return performance.now() - since;
}

/** A watcher that notes when (performance.now()) it heard each thing. */
function timedWatcher(): KillSwitchWatcher & {
  records: KillSwitchRecord[];
  errors: { error: LivegateError; at: number }[];
} {
  const records: KillSwitchRecord[] = [];
  const errors: { error: LivegateError; at: number }[] = [];
  return {
    records,
    errors,
    onRecord: (record) => records.push(record),
    onError: (error) => errors.push({ error, at: performance.now() }),
  };
}

describe('NatsKillSwitchStore with no server at its address', () => {
  it('rejects every call with ERR_STORE_UNREACHABLE within requestTimeoutMs, and opens a KillSwitch ENGAGED', async () => {
    const address = `nats://127.0.0.1:${await freePort()}`;
    const store = new NatsKillSwitchStore(settings(address, uniqueNamespace()));
    try {
      const started = performance.now();
      const error = await rejection(store.read());
      const took = performance.now() - started;
      console.info(`read() with no server: rejected after ${took.toFixed(0)} ms`);
      expect(error.code).toBe('ERR_STORE_UNREACHABLE');
      expect(error.message).toContain(address);
      expect(took).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
      expect((await rejection(store.update(() => change()))).code).toBe('ERR_STORE_UNREACHABLE');
      expect((await rejection(store.history())).code).toBe('ERR_STORE_UNREACHABLE');
      expect((await rejection(store.listEngineReports())).code).toBe('ERR_STORE_UNREACHABLE');
      const killSwitch = await KillSwitch.open(store, { actor: 'engine-1' });
      expect(killSwitch.state).toBe('ENGAGED');
      expect(killSwitch.failClosedReason?.code).toBe('ERR_STORE_UNREACHABLE');
    } finally {
      const closing = performance.now();
      await store.close();
      expect(performance.now() - closing).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
    }
  });
});

describe.skipIf(!binaryAvailable)('NatsKillSwitchStore against a private nats-server', () => {
  let server: PrivateNatsServer;
  let namespace: string;
  const stores: NatsKillSwitchStore[] = [];
  const open = (overrides: Partial<NatsKillSwitchStoreOptions> = {}) => {
    const store = new NatsKillSwitchStore({ ...settings(server.url, namespace), ...overrides });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    server = await PrivateNatsServer.start();
  });

  afterAll(async () => {
    await server?.dispose();
  });

  beforeEach(async () => {
    namespace = uniqueNamespace();
    // A test that failed half-way may have left the server stopped or frozen.
    server.thaw();
    if (server.pid === undefined) await server.start();
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    server.thaw();
    if (server.pid !== undefined) await deleteNamespace(server.url, namespace);
  });

  it('fails closed within failClosedAfterMs of the server stopping, and stays ENGAGED after it returns until a reset', async () => {
    const engineStore = open();
    const operator = open();
    const killSwitch = await KillSwitch.open(engineStore, { actor: 'engine-1', contact: CONTACT });
    killSwitch.watch();
    expect(killSwitch.state).toBe('SAFE');

    const stoppedAt = performance.now();
    await server.stop();
    const elapsed = await failedClosedAfter(killSwitch, stoppedAt);
    console.info(`server stopped -> engine failed closed after ${elapsed.toFixed(0)} ms`);
    expect(elapsed).toBeGreaterThan(FAIL_CLOSED_AFTER_MS / 2);
    expect(elapsed).toBeLessThan(FAIL_CLOSED_AFTER_MS + MARGIN_MS);
    expect(killSwitch.failClosedReason?.code).toBe('ERR_STORE_UNREACHABLE');
    expect(killSwitch.failClosedReason?.message).toMatch(/for \d+ ms: \S/);
    expect(killSwitch.state).toBe('ENGAGED');

    const readStarted = performance.now();
    expect((await rejection(engineStore.read())).code).toBe('ERR_STORE_UNREACHABLE');
    expect(performance.now() - readStarted).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
    const reset = operator.update(() => change({ state: 'SAFE', reason: 'too early' }));
    expect((await rejection(reset)).code).toBe('ERR_STORE_UNREACHABLE');

    await server.start();
    const restartedAt = performance.now();
    await eventually(
      'reads work again',
      async () => (await engineStore.read()) !== null,
      RECOVERY_MS,
    );
    console.info(
      `server restarted -> reads again after ${(performance.now() - restartedAt).toFixed(0)} ms`,
    );
    // Reachable again, the stored record (revision 1, SAFE) is not newer than the failure.
    await holdsFor(
      'ENGAGED after the server returned',
      () => killSwitch.state === 'ENGAGED',
      1_000,
    );

    await eventually(
      'the operator reset',
      async () => (await operator.update(() => change({ state: 'SAFE', reason: 'reset' }))).changed,
      RECOVERY_MS,
    );
    await eventually('SAFE after the reset', () => killSwitch.state === 'SAFE', RECOVERY_MS);
    expect(killSwitch.failClosedReason).toBeNull();
    killSwitch.close();
  });

  it('fails closed when the server freezes (SIGSTOP), and reads and pushes resume after SIGCONT', async () => {
    const store = open();
    const peer = open();
    const watcher = timedWatcher();
    store.watch(watcher);
    await store.update(() => change({ state: 'SAFE' }));
    const killSwitch = await KillSwitch.open(store, { actor: 'engine-1', contact: CONTACT });
    killSwitch.watch();
    await eventually('revision 1', () => watcher.records.at(-1)?.revision === 1, 10_000);

    const frozenAt = performance.now();
    server.freeze();
    try {
      const elapsed = await failedClosedAfter(killSwitch, frozenAt);
      console.info(`server frozen -> engine failed closed after ${elapsed.toFixed(0)} ms`);
      expect(elapsed).toBeLessThan(FAIL_CLOSED_AFTER_MS + MARGIN_MS);
      expect(killSwitch.failClosedReason?.code).toBe('ERR_STORE_UNREACHABLE');
      const readStarted = performance.now();
      expect((await rejection(store.read())).code).toBe('ERR_STORE_UNREACHABLE');
      expect(performance.now() - readStarted).toBeLessThan(REQUEST_TIMEOUT_MS + MARGIN_MS);
    } finally {
      server.thaw();
    }

    const thawedAt = performance.now();
    await eventually('reads work again', async () => (await store.read()) !== null, RECOVERY_MS);
    console.info(
      `server thawed -> reads again after ${(performance.now() - thawedAt).toFixed(0)} ms`,
    );
    await eventually(
      'a write from the peer',
      async () => (await peer.update(() => change({ reason: 'after thaw' }))).changed,
      RECOVERY_MS,
    );
    const reasons = () => watcher.records.map((record) => record.reason);
    await eventually(
      'the write reaches the watcher',
      () => reasons().includes('after thaw'),
      10_000,
    );
    expect(reasons()[0]).toBe('contract test');
    killSwitch.close();
  });

  it('opens ENGAGED while the server is down, and an older state read once it is up does not release it', async () => {
    await open().update(() => change({ state: 'SAFE', reason: 'written before the outage' }));
    await server.stop();
    const store = open();
    const killSwitch = await KillSwitch.open(store, { actor: 'engine-1', contact: CONTACT });
    killSwitch.watch();
    expect(killSwitch.state).toBe('ENGAGED');
    expect(killSwitch.failClosedReason?.code).toBe('ERR_STORE_UNREACHABLE');

    await server.start();
    await eventually('the state is read', () => killSwitch.record !== null, RECOVERY_MS);
    await holdsFor('ENGAGED on the older SAFE', () => killSwitch.state === 'ENGAGED', 1_000);
    await open().update(() => change({ state: 'SAFE', reason: 'operator reset' }));
    await eventually('SAFE after the reset', () => killSwitch.state === 'SAFE', RECOVERY_MS);
    killSwitch.close();
  });

  it('does not latch an engine whose event loop stalled 1.3 s while the server stayed healthy', async () => {
    const store = open();
    await store.update(() => change({ state: 'SAFE' }));
    const killSwitch = await KillSwitch.open(store, { actor: 'engine-1', contact: CONTACT });
    killSwitch.watch();
    await holdsFor('SAFE', () => killSwitch.state === 'SAFE', 300);
    const blockedUntil = performance.now() + 1_300;
    while (performance.now() < blockedUntil) {
      // A strategy hogging the loop: no read, no ping, no timer runs.
    }
    expect(performance.now()).toBeGreaterThan(killSwitch.leaseExpiresAt);
    await holdsFor('no latch after the stall', () => killSwitch.failClosedReason === null, 2_000);
    expect(killSwitch.state).toBe('SAFE');
    expect(killSwitch.leaseExpiresAt).toBeGreaterThan(performance.now());
    killSwitch.close();
  });

  it('answers a read that was in flight while the event loop stalled past its timeout', async () => {
    const store = open();
    await store.update(() => change({ state: 'SAFE' }));
    await store.read();
    // The reply arrives during the stall; after it Node runs due timers before reading sockets,
    // so a plain timer race would call a healthy server silent.
    const reading = store.read();
    const blockedUntil = performance.now() + REQUEST_TIMEOUT_MS * 3;
    while (performance.now() < blockedUntil) {
      // A strategy hogging the loop.
    }
    const record = await reading;
    expect(record?.state).toBe('SAFE');
  });

  it('keeps revisions gap-free with many concurrent writers on two clients', async () => {
    // Sixty writers queue behind each other: only the outage tests need short timeouts.
    const patient = { requestTimeoutMs: 10_000, failClosedAfterMs: 20_000 };
    const clients = [open(patient), open(patient)] as const;
    const writers = 60;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: writers }, (_, index) =>
        clients[index % 2 === 0 ? 0 : 1].update((current) =>
          change({ reason: `writer ${index} after ${current?.revision ?? 0}` }),
        ),
      ),
    );
    const tookMs = performance.now() - started;
    console.info(`${writers} concurrent updates on two clients: ${tookMs.toFixed(0)} ms`);
    const history = await clients[1].history();
    expect(history.map((record) => record.revision)).toEqual(
      Array.from({ length: writers }, (_, index) => index + 1),
    );
    // Each revision was decided on its predecessor, and every writer landed exactly once.
    history.forEach((record) => expect(record.reason).toMatch(` after ${record.revision - 1}`));
    const writersSeen = history.map((record) => /writer (\d+)/.exec(record.reason)?.[1]);
    expect(new Set(writersSeen).size).toBe(writers);
  }, 30_000); // 60 queued writers on a loaded 2-vCPU machine took over 10 s once
});

// The Redis store passes the shared contract against the machine's server, with a second client as the
// peer, and fails closed on anything stored that it cannot trust.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  RedisKillSwitchStore,
  type RedisKillSwitchStoreOptions,
} from '../../src/adapters/stores/redis-kill-switch-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { isLivegateError, type LivegateError } from '../../src/core/errors.js';
import type { KillSwitchRecord } from '../../src/core/kill-switch-record.js';
import {
  deleteNamespace,
  machineRedisAvailable,
  MACHINE_REDIS_URL,
  uniqueNamespace,
} from '../support/redis-server.js';
import {
  change,
  recordingWatcher,
  runKillSwitchStoreContract,
  waitFor,
} from './kill-switch-store.contract.js';

const available = await machineRedisAvailable('RedisKillSwitchStore contract');

function openStore(options: Partial<RedisKillSwitchStoreOptions> & { namespace: string }) {
  return new RedisKillSwitchStore({ url: MACHINE_REDIS_URL, pollIntervalMs: 100, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<LivegateError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (thrown: unknown) => thrown,
  );
  if (!isLivegateError(error)) throw new Error(`expected a LivegateError, got ${String(error)}`);
  return error;
}

describe.skipIf(!available)(`RedisKillSwitchStore on ${MACHINE_REDIS_URL}`, () => {
  runKillSwitchStoreContract('RedisKillSwitchStore', () => {
    const namespace = uniqueNamespace('contract');
    const store = openStore({ namespace });
    return Promise.resolve({
      store,
      openPeer: () => Promise.resolve(openStore({ namespace })),
      cleanup: async () => {
        await store.close();
        await deleteNamespace(MACHINE_REDIS_URL, namespace);
      },
    });
  });

  describe('keys, scopes and damaged state', () => {
    let namespace: string;
    let admin: Redis;
    const stores: RedisKillSwitchStore[] = [];
    const open = (options: Partial<RedisKillSwitchStoreOptions> = {}) => {
      const store = openStore({ namespace, ...options });
      stores.push(store);
      return store;
    };

    beforeAll(() => {
      admin = new Redis(MACHINE_REDIS_URL);
    });
    afterAll(() => admin.disconnect());
    beforeEach(() => {
      namespace = uniqueNamespace('redis-store');
    });
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
      await deleteNamespace(MACHINE_REDIS_URL, namespace);
    });

    it('keeps each scope apart under one namespace, and engine reports per namespace', async () => {
      const global = open();
      const desk = open({ scope: 'desk:fx' });
      expect(desk.name).toBe(`redis:${hostOf()}/desk:fx`);
      await global.update(() => change({ reason: 'global' }));
      await desk.update(() => change({ state: 'REDUCING', reason: 'desk' }));
      await desk.update(() => change({ reason: 'desk again' }));
      expect((await global.history()).map((record) => record.reason)).toEqual(['global']);
      expect((await desk.read())?.revision).toBe(2);
      expect(await admin.exists(`${namespace}:killswitch:{desk:fx}`)).toBe(1);
      expect(await admin.llen(`${namespace}:killswitch:{desk:fx}:revisions`)).toBe(2);
      await global.publishEngineReport(engineReport('engine-1'));
      expect((await desk.listEngineReports()).map((report) => report.engineId)).toEqual([
        'engine-1',
      ]);
    });

    it('hears a write through pub/sub without waiting for the re-read', async () => {
      const writer = open();
      const watcher = recordingWatcher();
      open({ pollIntervalMs: 60_000 }).watch(watcher);
      await writer.update(() => change({ reason: 'first' }));
      await waitFor(() => watcher.records.length === 1, 'revision 1 by pub/sub');
      const started = performance.now();
      await writer.update(() => change({ state: 'SAFE' }));
      await waitFor(() => watcher.records.length === 2, 'revision 2 by pub/sub');
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it('fails closed on garbage, tells decide, then repairs above every revision used', async () => {
      const store = open();
      await store.update(() => change());
      await store.update(() => change({ state: 'SAFE' }));
      await admin.set(store.keys.state, '{"revision": 2, "state": "SA');
      const error = await rejection(store.read());
      expect(error.code).toBe('ERR_STATE_UNREADABLE');
      expect(error.message).toContain(store.keys.state);
      const watcher = recordingWatcher();
      store.watch(watcher);
      await waitFor(() => watcher.errors.length === 1, 'onError for garbage');

      const seen: [KillSwitchRecord | null, LivegateError | undefined][] = [];
      const result = await open().update((current, unreadable) => {
        seen.push([current, unreadable]);
        return change({ reason: 'repair' });
      });
      expect(seen[0]?.[0]).toBeNull();
      expect(seen[0]?.[1]?.code).toBe('ERR_STATE_UNREADABLE');
      expect(result.record.revision).toBe(3);
      expect(await admin.get(result.repairedFrom ?? 'missing')).toBe(
        '{"revision": 2, "state": "SA',
      );
      await waitFor(() => watcher.records.at(-1)?.revision === 3, 'the repair at the watcher');
      expect((await store.history()).map((record) => record.revision)).toEqual([1, 2, 3]);
    });

    it('treats a key of the wrong type, a damaged trail entry and a vanished state as unreadable', async () => {
      const store = open();
      await store.update(() => change());
      await admin.lset(store.keys.revisions, 0, 'garbage');
      expect((await rejection(store.history())).code).toBe('ERR_STATE_UNREADABLE');

      await admin.del(store.keys.state);
      expect((await rejection(store.read())).message).toMatch(
        /revision 1 was seen but the state is gone/,
      );
      // A fresh client has seen nothing, but the trail proves there was a state.
      expect((await rejection(open().read())).message).toMatch(/audit trail .* exists/);

      await admin.hset(store.keys.state, 'revision', '9');
      expect((await rejection(store.read())).message).toMatch(/WRONGTYPE/);
      const repaired = await store.update(() => change({ reason: 'repair' }));
      expect(repaired.record.revision).toBe(2);
      expect(await admin.type(repaired.repairedFrom ?? 'missing')).toBe('hash');
      expect(await open().read()).toEqual(repaired.record);
    });

    it('fails closed when the state goes backwards', async () => {
      const store = open();
      const { record } = await store.update(() => change());
      await store.update(() => change({ state: 'SAFE' }));
      await admin.set(store.keys.state, JSON.stringify(record));
      expect((await rejection(store.read())).message).toMatch(
        /went backwards from revision 2 to 1/,
      );
    });

    it('lists an engine report it cannot parse as unreadable: that engine must still confirm', async () => {
      const store = open();
      await store.publishEngineReport(engineReport('engine-1'));
      await admin.hset(store.keys.engines, 'engine-2', '{"engineId": "engine-2"');
      const reports = await store.listEngineReports();
      expect(reports.map((report) => [report.engineId, report.unreadable !== undefined])).toEqual([
        ['engine-1', false],
        ['engine-2', true],
      ]);
      expect(reports[1]?.unreadable).toMatch(/not valid JSON/);
    });

    it('stamps the injected clock, host and pid', async () => {
      const clock = new ManualClock(1_000);
      const { record } = await open({ clock, host: 'desk-7', pid: 77 }).update(() => change());
      expect(record).toMatchObject({ at: '1970-01-01T00:00:01.000Z', host: 'desk-7', pid: 77 });
    });
  });
});

describe('RedisKillSwitchStore options', () => {
  it('rejects every bad option at once with ERR_CONFIG_INVALID', () => {
    const options = {
      url: 'http://127.0.0.1:6379',
      namespace: 'a:b',
      scope: '{x}',
      failClosedAfterMs: 0,
      pollIntervalMs: 0.5,
      requestTimeoutMs: 'soon',
      pid: -1,
      extra: 1,
    };
    expect(() => new RedisKillSwitchStore(options as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        message: expect.stringMatching(
          /url.*namespace.*scope.*failClosedAfterMs.*pollIntervalMs.*requestTimeoutMs.*pid.*extra/s,
        ) as unknown,
      }),
    );
  });

  it('is named after the server and scope, never the credentials', async () => {
    const store = new RedisKillSwitchStore({
      url: 'redis://user:secret@127.0.0.1:1/0',
      scope: 'engine:abc',
      requestTimeoutMs: 50,
    });
    expect(store.name).toBe('redis:127.0.0.1:1/engine:abc');
    const error = await rejection(store.read());
    expect(error.code).toBe('ERR_STORE_UNREACHABLE');
    expect(error.message).toMatch(
      /^redis:127\.0\.0\.1:1\/engine:abc at redis:\/\/127\.0\.0\.1:1\/0 /,
    );
    expect(error.message).not.toContain('secret');
    await store.close();
  });
});

function hostOf(): string {
  const url = new URL(MACHINE_REDIS_URL);
  return `${url.hostname}:${url.port || '6379'}`;
}

function engineReport(engineId: string) {
  return {
    engineId,
    host: 'host-a',
    pid: 1,
    startedAt: '2024-05-01T12:00:00.000Z',
    reportedAt: 1,
    observedRevision: 1,
    observedAt: 1,
    enforcedState: 'SAFE' as const,
    failClosed: false,
    stats: {},
  };
}

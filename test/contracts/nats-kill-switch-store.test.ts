// The NATS store passes the shared contract against the machine's nats-server, and fails closed on damage.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeKeyToken, encodeKeyToken } from '../../src/adapters/stores/nats-kill-switch-keys.js';
import {
  NatsKillSwitchStore,
  type NatsKillSwitchStoreOptions,
} from '../../src/adapters/stores/nats-kill-switch-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { isLivegateError, type LivegateError } from '../../src/core/errors.js';
import type { KillSwitchRecord } from '../../src/core/kill-switch-record.js';
import {
  deleteNamespace,
  machineNatsAvailable,
  MACHINE_NATS_URL,
  openBucket,
  uniqueNamespace,
} from '../support/nats-server.js';
import {
  change,
  recordingWatcher,
  runKillSwitchStoreContract,
  waitFor,
} from './kill-switch-store.contract.js';

const available = await machineNatsAvailable(
  `NatsKillSwitchStore tests against the machine's nats-server (${MACHINE_NATS_URL})`,
);

/** Generous timeouts: a loaded CI machine must not make a contract watcher fail closed. */
const settings = {
  servers: MACHINE_NATS_URL,
  pollIntervalMs: 50,
  failClosedAfterMs: 10_000,
  requestTimeoutMs: 5_000,
};

async function rejection(promise: Promise<unknown>): Promise<LivegateError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (thrown: unknown) => thrown,
  );
  if (!isLivegateError(error)) throw error;
  return error;
}

describe.skipIf(!available)(`NatsKillSwitchStore on ${MACHINE_NATS_URL}`, () => {
  runKillSwitchStoreContract('NatsKillSwitchStore', () => {
    const namespace = uniqueNamespace();
    const store = new NatsKillSwitchStore({ ...settings, namespace });
    return Promise.resolve({
      store,
      openPeer: () => Promise.resolve(new NatsKillSwitchStore({ ...settings, namespace })),
      cleanup: async () => {
        await store.close();
        await deleteNamespace(MACHINE_NATS_URL, namespace);
      },
    });
  });

  describe('scopes and namespaces', () => {
    let namespace: string;
    const stores: NatsKillSwitchStore[] = [];
    const open = (options: Partial<NatsKillSwitchStoreOptions> = {}) => {
      const store = new NatsKillSwitchStore({ ...settings, namespace, ...options });
      stores.push(store);
      return store;
    };

    beforeEach(() => {
      namespace = uniqueNamespace();
    });

    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
      await deleteNamespace(MACHINE_NATS_URL, namespace);
    });

    it('keeps each scope of a namespace apart, while engine reports are shared by the namespace', async () => {
      const global = open();
      const desk = open({ scope: 'desk:fx' });
      const otherDesk = open({ scope: 'desk:eq' });
      expect(desk.name).toBe(`nats:${MACHINE_NATS_URL}/desk:fx`);
      await global.update(() => change({ state: 'SAFE' }));
      await desk.update(() => change({ state: 'ENGAGED', reason: 'fx only' }));
      expect((await global.read())?.state).toBe('SAFE');
      expect(await desk.read()).toMatchObject({ revision: 1, state: 'ENGAGED', reason: 'fx only' });
      expect(await otherDesk.read()).toBeNull();
      const report = {
        engineId: 'engine:fx/1',
        host: 'h',
        pid: 1,
        startedAt: new Date().toISOString(),
        reportedAt: Date.now(),
        observedRevision: 1,
        observedAt: Date.now(),
        enforcedState: 'ENGAGED' as const,
        failClosed: false,
        stats: {},
      };
      await desk.publishEngineReport(report);
      expect(await global.listEngineReports()).toEqual([report]);
      const elsewhere = uniqueNamespace();
      try {
        expect(await open({ namespace: elsewhere }).listEngineReports()).toEqual([]);
      } finally {
        await deleteNamespace(MACHINE_NATS_URL, elsewhere);
      }
    });

    it('stamps the injected clock, host and pid', async () => {
      const clock = new ManualClock(1_000);
      const store = open({ clock, host: 'desk-7', pid: 7 });
      const { record } = await store.update(() => change());
      expect(record).toMatchObject({ at: '1970-01-01T00:00:01.000Z', host: 'desk-7', pid: 7 });
    });

    it('keeps the audit trail as one key per revision, with the scope name encoded into the key', async () => {
      const desk = open({ scope: 'desk:fx' });
      await desk.update(() => change());
      await desk.update(() => change({ state: 'SAFE' }));
      const raw = await openBucket(MACHINE_NATS_URL, namespace);
      try {
        const keys = [];
        for await (const key of await raw.kv.keys('state.>')) keys.push(key);
        expect(keys.sort()).toEqual([
          'state.desk_3Afx.head',
          'state.desk_3Afx.rev.000000000001',
          'state.desk_3Afx.rev.000000000002',
        ]);
      } finally {
        await raw.close();
      }
    });
  });

  describe('damaged state', () => {
    let namespace: string;
    let raw: Awaited<ReturnType<typeof openBucket>>;
    let store: NatsKillSwitchStore;
    const put = (key: string, value: string) => raw.kv.put(key, value);
    const recordAt = async (revision: number): Promise<KillSwitchRecord> => {
      const written = (await store.history()).find((record) => record.revision === revision);
      if (written === undefined) throw new Error(`no revision ${revision}`);
      return written;
    };

    beforeEach(async () => {
      namespace = uniqueNamespace();
      store = new NatsKillSwitchStore({ ...settings, namespace });
      for (const state of ['ENGAGED', 'SAFE'] as const) await store.update(() => change({ state }));
      raw = await openBucket(MACHINE_NATS_URL, namespace);
    });

    afterEach(async () => {
      await store.close();
      await raw.close();
      await deleteNamespace(MACHINE_NATS_URL, namespace);
    });

    /** read() rejects with ERR_STATE_UNREADABLE naming `where`, and a fresh watcher hears onError. */
    async function expectFailsClosed(target: NatsKillSwitchStore, where: RegExp) {
      const error = await rejection(target.read());
      expect(error.code).toBe('ERR_STATE_UNREADABLE');
      expect(error.message).toMatch(where);
      const watcher = recordingWatcher();
      const stop = target.watch(watcher);
      await waitFor(() => watcher.errors.length > 0, 'onError');
      stop();
      expect(watcher.errors[0]?.code).toBe('ERR_STATE_UNREADABLE');
    }

    it('fails closed on an unreadable head; an update is shown the error, keeps the head aside and repairs it', async () => {
      await put('state.global.head', '{"revision": 2, "state": "SA');
      await expectFailsClosed(store, /state\.global\.head.*not valid JSON/);
      const seen: (LivegateError | undefined)[] = [];
      const result = await store.update((current, unreadable) => {
        seen.push(unreadable);
        expect(current).toBeNull();
        return change({ reason: 'operator reset after damage' });
      });
      expect(seen[0]?.code).toBe('ERR_STATE_UNREADABLE');
      expect(result.record.revision).toBe(3);
      expect(result.repairedFrom).toMatch(
        new RegExp(`^nats:${namespace}_killswitch/state\\.global\\.unreadable\\.`),
      );
      const aside = await raw.kv.get(result.repairedFrom?.split('/').slice(1).join('/') ?? '');
      expect(aside?.string()).toBe('{"revision": 2, "state": "SA');
      expect(await store.read()).toEqual(result.record);
      expect((await store.history()).map((record) => record.revision)).toEqual([1, 2, 3]);
    });

    it('fails closed on a revision key that is not a record, and repairs above it without moving it', async () => {
      await put('state.global.rev.000000000003', 'garbage');
      await expectFailsClosed(store, /rev\.000000000003.*not valid JSON/);
      const result = await store.update(() => change({ reason: 'repair' }));
      expect(result.record.revision).toBe(4);
      expect(result.repairedFrom).toBeUndefined();
      expect(await store.read()).toEqual(result.record);
      // The damage stays in the audit trail, loudly.
      expect((await rejection(store.history())).code).toBe('ERR_STATE_UNREADABLE');
    });

    it('fails closed on a revision whose content disagrees with its key', async () => {
      const second = await recordAt(2);
      await put('state.global.rev.000000000003', JSON.stringify(second));
      await expectFailsClosed(store, /holds revision 2 but its key says 3/);
    });

    it('fails closed on a record with a field no reader understands', async () => {
      const second = await recordAt(2);
      await put('state.global.rev.000000000003', JSON.stringify({ ...second, revision: 3, x: 1 }));
      await expectFailsClosed(store, /rev\.000000000003.*not a kill-switch record/);
    });

    it('fails closed when a revision key is deleted', async () => {
      const fresh = new NatsKillSwitchStore({ ...settings, namespace });
      try {
        await raw.kv.delete('state.global.head');
        await raw.kv.delete('state.global.rev.000000000001');
        await expectFailsClosed(fresh, /rev\.000000000001.*revision 1 was deleted \(DEL\)/);
      } finally {
        await fresh.close();
      }
    });

    it('fails closed when state it has seen disappears, and a repair writes above what it saw', async () => {
      await deleteNamespace(MACHINE_NATS_URL, namespace);
      await expectFailsClosed(store, /revision 2 was seen but the state is gone/);
      const result = await store.update(() => change({ reason: 'repair' }));
      expect(result.record.revision).toBe(3);
      expect(await store.read()).toEqual(result.record);
    });

    it('rolls forward past a head that a writer died before moving', async () => {
      const watcher = recordingWatcher();
      const stop = store.watch(watcher);
      await waitFor(() => watcher.records.at(-1)?.revision === 2, 'revision 2');
      const third = { ...(await recordAt(2)), revision: 3, state: 'ENGAGED', reason: 'died' };
      await raw.kv.create('state.global.rev.000000000003', JSON.stringify(third));
      expect(await store.read()).toEqual(third);
      await waitFor(() => watcher.records.at(-1)?.revision === 3, 'revision 3 by watch');
      stop();
      expect((await store.update(() => change())).record.revision).toBe(4);
      expect(watcher.errors).toEqual([]);
    });
  });
});

describe('NatsKillSwitchStore options', () => {
  it('rejects every bad option at once with ERR_CONFIG_INVALID', () => {
    const options = {
      servers: ['http://example.com'],
      namespace: 'has.dot',
      scope: 'desk:',
      failClosedAfterMs: 0,
      pollIntervalMs: 1.5,
      requestTimeoutMs: -1,
      extra: 1,
    };
    expect(() => new NatsKillSwitchStore(options as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        message: expect.stringMatching(
          /servers.*namespace.*scope.*failClosedAfterMs.*pollIntervalMs.*requestTimeoutMs.*extra/s,
        ) as unknown,
      }),
    );
  });

  it('is named after its first server and scope, never showing credentials', () => {
    const store = new NatsKillSwitchStore({
      servers: ['nats://user:secret@10.0.0.1:4222', 'nats://10.0.0.2:4222'],
      scope: 'engine:abc',
    });
    expect(store.name).toBe('nats:nats://10.0.0.1:4222/engine:abc');
    expect(store.bucket).toBe('livegate_killswitch');
    expect(new NatsKillSwitchStore({ servers: '127.0.0.1:4222' }).name).toBe(
      'nats:127.0.0.1:4222/global',
    );
  });

  it('encodes names into one key token reversibly, and refuses tokens it did not produce', () => {
    const names = [
      'desk:fx',
      'desk/1',
      'desk_1',
      '../escape',
      'desk 1',
      'désk.1',
      '.hidden',
      '_5F',
    ];
    const tokens = names.map(encodeKeyToken);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(new Set(tokens).size).toBe(names.length);
    expect(tokens.map(decodeKeyToken)).toEqual(names);
    for (const stranger of ['a.b', '_5f', '_ZZ', 'a_', '_C3']) {
      expect(decodeKeyToken(stranger)).toBeUndefined();
    }
  });
});

// The LimitsStore contract, run on every store against the real thing (file system, Redis, NATS):
// of many processes' writers of one revision exactly one wins, history keeps every revision in
// order, and a peer (another client) reads what was written.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import { NatsKillSwitchStore } from '../../src/adapters/stores/nats-kill-switch-store.js';
import { RedisKillSwitchStore } from '../../src/adapters/stores/redis-kill-switch-store.js';
import type { LimitsRecord } from '../../src/core/limits-record.js';
import type { KillSwitchStore } from '../../src/core/ports.js';
import {
  deleteNamespace as deleteNatsNamespace,
  MACHINE_NATS_URL,
  machineNatsAvailable,
  uniqueNamespace,
} from '../support/nats-server.js';
import {
  deleteNamespace as deleteRedisNamespace,
  MACHINE_REDIS_URL,
  machineRedisAvailable,
} from '../support/redis-server.js';

interface Deployment {
  /** Two clients of one store (the memory store: the same one twice). */
  readonly open: () => KillSwitchStore;
  readonly cleanup: () => Promise<void>;
}

const natsUp = await machineNatsAvailable('LimitsStore contract (nats)');
const redisUp = await machineRedisAvailable('LimitsStore contract (redis)');

const BACKENDS: { name: string; up: boolean; deploy: () => Promise<Deployment> }[] = [
  {
    name: 'memory',
    up: true,
    deploy: () => {
      const store = new MemoryKillSwitchStore();
      return Promise.resolve({ open: () => store, cleanup: () => Promise.resolve() });
    },
  },
  {
    name: 'file',
    up: true,
    deploy: async () => {
      const stateDirectory = await mkdtemp(path.join(tmpdir(), 'livegate-limits-contract-'));
      return {
        open: () => new FileKillSwitchStore({ stateDirectory }),
        cleanup: () => Promise.resolve(),
      };
    },
  },
  {
    name: 'redis',
    up: redisUp,
    deploy: () => {
      const namespace = uniqueNamespace('limits');
      return Promise.resolve({
        open: () => new RedisKillSwitchStore({ url: MACHINE_REDIS_URL, namespace }),
        cleanup: () => deleteRedisNamespace(MACHINE_REDIS_URL, namespace),
      });
    },
  },
  {
    name: 'nats',
    up: natsUp,
    deploy: () => {
      const namespace = uniqueNamespace('limits');
      return Promise.resolve({
        open: () =>
          new NatsKillSwitchStore({
            servers: MACHINE_NATS_URL,
            namespace,
            requestTimeoutMs: 5_000,
            failClosedAfterMs: 10_000,
          }),
        cleanup: () => deleteNatsNamespace(MACHINE_NATS_URL, namespace),
      });
    },
  },
];

function record(revision: number, by: string): LimitsRecord {
  return {
    revision,
    limits: { preTrade: { defaults: { maxQuantity: revision, maxPosition: Infinity } } },
    reason: 'contract',
    by,
    at: new Date().toISOString(),
    host: 'test',
    pid: 1,
    diff: [{ key: 'preTrade.defaults.maxQuantity', to: revision, loosens: false }],
    loosens: false,
  };
}

describe.each(BACKENDS)('LimitsStore on $name', ({ up, deploy, name }) => {
  it.skipIf(!up)(
    'starts empty, lets exactly one of eight writers claim each revision, keeps history in order',
    async () => {
      const deployment = await deploy();
      const stores = Array.from({ length: 8 }, () => deployment.open());
      try {
        const first = stores[0]!.limits!;
        expect(await first.latest()).toBeNull();
        expect(await first.history()).toEqual([]);
        for (const revision of [1, 2, 3]) {
          const wins = await Promise.all(
            stores.map((store, index) => store.limits!.append(record(revision, `writer-${index}`))),
          );
          expect(wins.filter(Boolean)).toHaveLength(1);
        }
        // A revision that skips one is refused too where the store checks the sequence.
        if (name !== 'file' && name !== 'nats') {
          expect(await first.append(record(5, 'gap'))).toBe(false);
        }
        const peer = deployment.open().limits!;
        const latest = await peer.latest();
        expect(latest?.revision).toBe(3);
        // Infinity survives the JSON round trip.
        expect(latest?.limits.preTrade).toEqual({
          defaults: { maxQuantity: 3, maxPosition: Infinity },
        });
        expect((await peer.history()).map((r) => r.revision)).toEqual([1, 2, 3]);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
        await deployment.cleanup();
      }
    },
  );
});

describe('FileLimitsStore', () => {
  it('reports a corrupt revision as ERR_STATE_UNREADABLE instead of skipping it', async () => {
    const stateDirectory = await mkdtemp(path.join(tmpdir(), 'livegate-limits-corrupt-'));
    const store = new FileKillSwitchStore({ stateDirectory });
    await store.limits.append(record(1, 'a'));
    await writeFile(path.join(stateDirectory, 'limits', '000000000002.json'), '{"revision": 2');
    await expect(store.limits.latest()).rejects.toMatchObject({ code: 'ERR_STATE_UNREADABLE' });
    await store.close();
  });
});

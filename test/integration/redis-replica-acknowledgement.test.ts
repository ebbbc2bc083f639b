// replicasToAcknowledge: a state write is acknowledged only once a replica has it. A primary with
// its replica frozen (SIGSTOP: the link looks up but nothing is copied) or gone must refuse to call
// a write done within about replicaTimeoutMs, and say the change is on the primary, not durable.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  RedisKillSwitchStore,
  type RedisKillSwitchStoreOptions,
} from '../../src/adapters/stores/redis-kill-switch-store.js';
import { isPrimaryOnlyWrite, type LivegateError } from '../../src/core/errors.js';
import { engageDecision, resetDecision } from '../../src/killswitch/transitions.js';
import { uniqueNamespace } from '../support/redis-server.js';
import { ask, RedisSentinelGroup } from '../support/redis-sentinel-group.js';
import { redisServerInstalled } from '../support/redis-server.js';

const REPLICA_TIMEOUT_MS = 200;
/** Slack for a loaded CI machine on top of the timeout. */
const MARGIN_MS = 1_000;

const installed = redisServerInstalled('Redis replica acknowledgement tests');

describe.skipIf(!installed)('RedisKillSwitchStore with replicasToAcknowledge', () => {
  let group: RedisSentinelGroup;
  const stores: RedisKillSwitchStore[] = [];
  const latencies: Record<'withWait' | 'withoutWait', number[]> = { withWait: [], withoutWait: [] };

  const primary = () => group.nodes[0]!;
  const replica = () => group.nodes[1]!;
  const open = (options: Partial<RedisKillSwitchStoreOptions> = {}) => {
    const store = new RedisKillSwitchStore({
      url: `redis://127.0.0.1:${primary().port}`,
      namespace: uniqueNamespace('replica-ack'),
      requestTimeoutMs: 1_000,
      replicasToAcknowledge: 1,
      replicaTimeoutMs: REPLICA_TIMEOUT_MS,
      ...options,
    });
    stores.push(store);
    return store;
  };

  /** The write's error and how long it took to come. */
  async function failedWrite(store: RedisKillSwitchStore, reason: string) {
    const started = performance.now();
    const error = await store.update(engageDecision(reason, 'ops', 'manual')).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    return { error: error as LivegateError | undefined, elapsedMs: performance.now() - started };
  }

  beforeAll(async () => {
    group = await RedisSentinelGroup.start({ sentinels: 0 });
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    replica().process.thaw();
    if (replica().process.pid === undefined) {
      await replica().start();
      await group.waitForReplicaLink(primary(), replica());
    }
  });

  afterAll(async () => {
    await group?.dispose();
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]?.toFixed(2);
    console.info(
      `[redis WAIT] update() on loopback, median of ${latencies.withWait.length}: ` +
        `${median(latencies.withWait)} ms acknowledged by 1 replica (max ${Math.max(...latencies.withWait).toFixed(2)} ms), ` +
        `${median(latencies.withoutWait)} ms with replicasToAcknowledge 0`,
    );
  });

  it('acknowledges a write once the replica has it, and the replica holds that revision', async () => {
    const store = open();
    const unacknowledged = open({
      namespace: uniqueNamespace('no-wait'),
      replicasToAcknowledge: 0,
    });
    await store.update(resetDecision('first', 'ops'));
    await unacknowledged.update(resetDecision('first', 'ops'));
    for (let index = 0; index < 20; index += 1) {
      const started = performance.now();
      await unacknowledged.update(
        index % 2 === 0 ? engageDecision('kill', 'ops', 'manual') : resetDecision('reset', 'ops'),
      );
      latencies.withoutWait.push(performance.now() - started);
    }
    for (let index = 0; index < 20; index += 1) {
      const started = performance.now();
      const decision =
        index % 2 === 0
          ? engageDecision(`kill ${index}`, 'ops', 'manual')
          : resetDecision(`reset ${index}`, 'ops');
      const { record } = await store.update(decision);
      latencies.withWait.push(performance.now() - started);
      const onReplica = JSON.parse(String(await ask(replica().port, 'GET', store.keys.state))) as {
        revision: number;
      };
      // Acknowledged means copied: the replica has this revision the moment update() returns.
      expect(onReplica.revision).toBe(record.revision);
    }
  });

  it('fails a write as on the primary but not durable when the replica is frozen, within about replicaTimeoutMs', async () => {
    const store = open();
    await store.update(resetDecision('first', 'ops'));
    replica().process.freeze();
    const { error, elapsedMs } = await failedWrite(store, 'replica frozen');
    expect(error?.code).toBe('ERR_STATE_WRITE_FAILED');
    expect(isPrimaryOnlyWrite(error)).toBe(true);
    expect(error?.message).toMatch(
      /revision 2 \(ENGAGED\) is on the Redis primary but NOT durable: 0 of 1 replicas acknowledged it within 200 ms/,
    );
    expect(elapsedMs).toBeGreaterThanOrEqual(REPLICA_TIMEOUT_MS - 5);
    expect(elapsedMs).toBeLessThan(REPLICA_TIMEOUT_MS + MARGIN_MS);
    // It is in force on the primary: readers see it, and the store does not call it a rewind.
    expect(await store.read()).toMatchObject({ revision: 2, state: 'ENGAGED' });
    replica().process.thaw();
    const { record } = await store.update(resetDecision('replica back', 'ops'));
    expect(record.revision).toBe(3);
  });

  it('fails the same way when the replica is gone, and when more replicas are asked for than exist', async () => {
    const store = open();
    await store.update(resetDecision('first', 'ops'));
    const twoWanted = open({ namespace: store.namespace, replicasToAcknowledge: 2 });
    const short = await failedWrite(twoWanted, 'two replicas wanted');
    expect(isPrimaryOnlyWrite(short.error)).toBe(true);
    expect(short.error?.message).toMatch(/1 of 2 replicas acknowledged it/);
    await replica().process.kill();
    await store.update(resetDecision('reset', 'ops')).catch(() => undefined);
    const gone = await failedWrite(store, 'replica gone');
    expect(isPrimaryOnlyWrite(gone.error)).toBe(true);
    expect(gone.error?.message).toMatch(/0 of 1 replicas acknowledged it/);
    expect(gone.elapsedMs).toBeLessThan(REPLICA_TIMEOUT_MS + MARGIN_MS);
  });

  it('waits for nobody when replicasToAcknowledge is 0, even with the replica frozen', async () => {
    const store = open({ replicasToAcknowledge: 0 });
    replica().process.freeze();
    const started = performance.now();
    await store.update(engageDecision('no wait asked', 'ops', 'manual'));
    expect(performance.now() - started).toBeLessThan(REPLICA_TIMEOUT_MS);
  });
});

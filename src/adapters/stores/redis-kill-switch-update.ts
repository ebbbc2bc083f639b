// The Redis store's update(): decide on what was read, compare-and-set, decide again if another writer won.
import { randomBytes } from 'node:crypto';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import type { KillSwitchUpdateResult } from '../../core/ports.js';
import type { RedisCommandConnection } from './redis-kill-switch-connection.js';
import type { RedisKillSwitchKeys } from './redis-kill-switch-options.js';
import { compareAndSet, type ReplicaAcknowledgement } from './redis-compare-and-set.js';
import { highestTrailRevision, type StoredState } from './redis-kill-switch-state.js';
import { optimisticUpdate, type Decide } from './optimistic-update.js';
import type { StampContext } from './stamp-kill-switch-record.js';

export type { Decide };

export interface RedisUpdateContext {
  readonly connection: RedisCommandConnection;
  readonly keys: RedisKillSwitchKeys;
  readonly stamp: StampContext;
  readonly decide: Decide;
  readonly acknowledgement: ReplicaAcknowledgement;
  /** The store's checked read: a vanished or rewound state comes back as unreadable. */
  readonly read: () => Promise<StoredState>;
  readonly highestSeen: () => number;
  readonly wrote: (record: KillSwitchRecord) => void;
}

export function updateRedisKillSwitch(
  context: RedisUpdateContext,
): Promise<KillSwitchUpdateResult> {
  return optimisticUpdate<StoredState>({
    stamp: context.stamp,
    decide: context.decide,
    read: () => context.read(),
    nextRevision: (current) =>
      current.record === null ? nextRevisionWithoutState(context) : current.record.revision + 1,
    claim: async (record, current) => {
      const setAside = current.unreadable !== undefined && current.token !== 'none';
      const asideKey = `${context.keys.unreadablePrefix}${Math.floor(context.stamp.clock.now())}-${randomBytes(4).toString('hex')}`;
      const outcome = await compareAndSet(context.connection, context.keys, {
        expectedToken: current.token,
        record,
        setAside,
        asideKey,
        acknowledgement: context.acknowledgement,
      });
      if (!outcome.written) return null;
      // On the primary either way: the mark must not let a read call it a rewind later.
      context.wrote(record);
      if (outcome.replicaShortfall !== undefined) throw outcome.replicaShortfall;
      return setAside
        ? { record, changed: true, repairedFrom: asideKey }
        : { record, changed: true };
    },
    where: `on ${context.keys.state}`,
    details: { key: context.keys.state },
  });
}

/**
 * First write, or a repair: above every revision in the trail and every revision this instance
 * has seen (the server may have lost its data), so no number is reused for a different record.
 */
async function nextRevisionWithoutState(context: RedisUpdateContext): Promise<number> {
  const trail = await highestTrailRevision(context.connection, context.keys);
  return Math.max(trail, context.highestSeen()) + 1;
}

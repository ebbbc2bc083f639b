// The Redis store's update(): decide on what was read, compare-and-set, decide again if another writer won.
import { randomBytes } from 'node:crypto';
import { LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import type { KillSwitchStore, KillSwitchUpdateResult } from '../../core/ports.js';
import type { RedisCommandConnection } from './redis-kill-switch-connection.js';
import type { RedisKillSwitchKeys } from './redis-kill-switch-options.js';
import {
  compareAndSet,
  highestTrailRevision,
  type StoredState,
} from './redis-kill-switch-state.js';
import {
  nothingToReturn,
  stampKillSwitchRecord,
  type StampContext,
} from './stamp-kill-switch-record.js';

export type Decide = Parameters<KillSwitchStore['update']>[0];

/** Losing the race this long means something is badly wrong; say so rather than spin. */
const UPDATE_DEADLINE_MS = 10_000;

export interface RedisUpdateContext {
  readonly connection: RedisCommandConnection;
  readonly keys: RedisKillSwitchKeys;
  readonly stamp: StampContext;
  readonly decide: Decide;
  /** The store's checked read: a vanished or rewound state comes back as unreadable. */
  readonly read: () => Promise<StoredState>;
  readonly highestSeen: () => number;
  readonly wrote: (record: KillSwitchRecord) => void;
}

export async function updateRedisKillSwitch(
  context: RedisUpdateContext,
): Promise<KillSwitchUpdateResult> {
  // Real time, not the injected clock: a test's frozen ManualClock must not make this spin forever.
  const deadline = performance.now() + UPDATE_DEADLINE_MS;
  for (let attempt = 1; ; attempt += 1) {
    const current = await context.read();
    const change = context.decide(current.record, current.unreadable);
    if (change === null) {
      if (current.record !== null) return { record: current.record, changed: false };
      throw nothingToReturn(current.unreadable);
    }
    const revision =
      current.record === null
        ? await nextRevisionWithoutState(context)
        : current.record.revision + 1;
    const record = stampKillSwitchRecord(change, revision, context.stamp);
    const setAside = current.unreadable !== undefined && current.token !== 'none';
    const asideKey = `${context.keys.unreadablePrefix}${Math.floor(context.stamp.clock.now())}-${randomBytes(4).toString('hex')}`;
    const written = await compareAndSet(context.connection, context.keys, {
      expectedToken: current.token,
      record,
      setAside,
      asideKey,
    });
    if (written) {
      context.wrote(record);
      return setAside
        ? { record, changed: true, repairedFrom: asideKey }
        : { record, changed: true };
    }
    if (performance.now() > deadline) {
      throw new LivegateError(
        'ERR_STATE_WRITE_FAILED',
        `Could not write a kill-switch revision within ${UPDATE_DEADLINE_MS} ms: ` +
          `${attempt} attempts lost to other writers on ${context.keys.state}`,
        { details: { attempts: attempt, key: context.keys.state } },
      );
    }
  }
}

/**
 * First write, or a repair: above every revision in the trail and every revision this instance
 * has seen (the server may have lost its data), so no number is reused for a different record.
 */
async function nextRevisionWithoutState(context: RedisUpdateContext): Promise<number> {
  const trail = await highestTrailRevision(context.connection, context.keys);
  return Math.max(trail, context.highestSeen()) + 1;
}

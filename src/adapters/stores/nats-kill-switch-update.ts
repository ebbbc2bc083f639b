// The NATS store's update(): claim revision n+1 with kv.create, retry when another writer took it.
import { randomBytes } from 'node:crypto';
import { isLivegateError, LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import type { KillSwitchUpdateResult } from '../../core/ports.js';
import type { NatsKillSwitchKeys } from './nats-kill-switch-keys.js';
import {
  isStreamNotFound,
  isWrongLastSequence,
  type NatsKvConnection,
} from './nats-kv-connection.js';
import { highestRevisionKey, parseRecord, type NatsState } from './nats-kill-switch-reader.js';
import { optimisticUpdate, type Decide } from './optimistic-update.js';
import type { StampContext } from './stamp-kill-switch-record.js';

export type { Decide };
/** Moving the head loses only to writers of newer revisions, so a few tries settle it. */
const HEAD_ATTEMPTS = 10;

export interface NatsUpdateContext {
  readonly connection: NatsKvConnection;
  readonly keys: NatsKillSwitchKeys;
  readonly stamp: StampContext;
  readonly decide: Decide;
  /** The store's checked read: unreadable state comes back as a value, unreachable throws. */
  readonly read: () => Promise<NatsState>;
  readonly highestSeen: () => number;
  readonly wrote: (record: KillSwitchRecord) => void;
}

export function updateNatsKillSwitch(context: NatsUpdateContext): Promise<KillSwitchUpdateResult> {
  return optimisticUpdate<NatsState>({
    stamp: context.stamp,
    decide: context.decide,
    read: () => context.read(),
    nextRevision: (current) =>
      current.record !== null
        ? current.record.revision + 1
        : current.unreadable === undefined
          ? 1
          : revisionAfterUnreadable(context),
    claim: async (record, current) => {
      const repairedFrom = await setAsideUnreadableHead(context, current);
      if (!(await claimRevision(context, record))) return null;
      context.wrote(record);
      await moveHead(context, record, current);
      return repairedFrom === undefined
        ? { record, changed: true }
        : { record, changed: true, repairedFrom };
    },
    where: `in ${context.keys.bucket}`,
    details: { bucket: context.keys.bucket },
  });
}

/**
 * Over unreadable (or vanished, or rewound) state, the next revision is above every revision key
 * ever written and every revision this instance has seen, so no number is reused for another record.
 */
async function revisionAfterUnreadable(context: NatsUpdateContext): Promise<number> {
  const { connection, keys } = context;
  const highest = await connection
    .call(
      'list revision keys',
      (kv, signal) => highestRevisionKey(kv, keys, signal),
      connection.listTimeoutMs,
    )
    .catch((error: unknown) => {
      if (isStreamNotFound(error)) return 0; // The bucket is gone with every key in it.
      throw error;
    });
  return Math.max(highest, context.highestSeen()) + 1;
}

/** kv.create fails when the key exists: exactly one writer gets each revision (like link(2)). */
async function claimRevision(
  context: NatsUpdateContext,
  record: KillSwitchRecord,
): Promise<boolean> {
  const key = context.keys.revision(record.revision);
  try {
    await context.connection.call(
      `create ${key}`,
      (kv) => kv.create(key, JSON.stringify(record)),
      undefined,
      { createBucket: true },
    );
    return true;
  } catch (error) {
    if (isWrongLastSequence(error)) return false;
    if (isLivegateError(error, 'ERR_STORE_UNREACHABLE')) {
      throw new LivegateError(
        'ERR_STORE_UNREACHABLE',
        `${error.message} (revision ${record.revision} may or may not have been written: read the state before retrying)`,
        { cause: error, details: { ...error.details, revision: record.revision } },
      );
    }
    throw writeFailed(`claim revision ${record.revision} (${key})`, error);
  }
}

/**
 * Revision keys are the truth and the head only a hint, so a stale head is harmless: readers roll
 * forward past it. An unreadable head is not: readers stop at it, so failing to replace it fails
 * the update. The head only moves forward (compare-and-set on its KV revision).
 */
async function moveHead(
  context: NatsUpdateContext,
  record: KillSwitchRecord,
  current: NatsState,
): Promise<void> {
  const { connection, keys } = context;
  const value = JSON.stringify(record);
  let expected = current.head.kvRevision;
  try {
    for (let attempt = 1; attempt <= HEAD_ATTEMPTS; attempt += 1) {
      try {
        const known = expected;
        await connection.call(`update ${keys.head}`, (kv) =>
          known === 0 ? kv.create(keys.head, value) : kv.update(keys.head, value, known),
        );
        return;
      } catch (error) {
        if (!isWrongLastSequence(error)) throw error;
      }
      const entry = await connection.call(`get ${keys.head}`, (kv) => kv.get(keys.head));
      if (entry?.operation === 'PUT' && headRevision(context, entry.value) >= record.revision) {
        return;
      }
      expected = entry?.revision ?? 0;
    }
    throw new Error(`lost ${HEAD_ATTEMPTS} compare-and-set attempts on ${keys.head}`);
  } catch (error) {
    if (current.unreadable?.details?.['key'] !== keys.head) return;
    throw writeFailed(
      `replace the unreadable ${keys.head} after writing revision ${record.revision}`,
      error,
    );
  }
}

function headRevision(context: NatsUpdateContext, value: Uint8Array): number {
  try {
    return parseRecord(context.keys, context.keys.head, value, undefined).revision;
  } catch {
    return 0;
  }
}

/**
 * Only an unreadable head is kept aside (it is about to be replaced), under a key of its own and
 * before anything is written. An unreadable revision key stays where it is, in the audit trail.
 */
async function setAsideUnreadableHead(
  context: NatsUpdateContext,
  current: NatsState,
): Promise<string | undefined> {
  const { connection, keys, stamp } = context;
  const value = current.head.value;
  if (current.unreadable?.details?.['key'] !== keys.head || value === undefined) return undefined;
  const key = keys.unreadable(`${Math.floor(stamp.clock.now())}_${randomBytes(4).toString('hex')}`);
  try {
    await connection.call(`put ${key}`, (kv) => kv.put(key, value));
  } catch (error) {
    throw writeFailed(`keep the unreadable ${keys.head} aside as ${key}`, error);
  }
  return `nats:${keys.bucket}/${key}`;
}

function writeFailed(what: string, error: unknown): LivegateError {
  if (isLivegateError(error, 'ERR_STORE_UNREACHABLE')) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new LivegateError('ERR_STATE_WRITE_FAILED', `Could not ${what}: ${message}`, {
    cause: error,
  });
}

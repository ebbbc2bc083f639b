// Reads the NATS store's latest record and audit trail, failing closed on anything it cannot trust.
import type { KV, KvEntry, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';
import { LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import { describeSchemaProblems, killSwitchRecordSchema } from './kill-switch-record-schema.js';
import type { NatsKillSwitchKeys } from './nats-kill-switch-keys.js';
import { isStreamNotFound } from './nats-kv-connection.js';

/** The head key as last read: its KV revision is what a compare-and-set on it must name. */
export interface NatsHead {
  /** 0 when the key does not exist. */
  readonly kvRevision: number;
  /** The stored bytes when it held a value (kept aside if a repair replaces an unreadable head). */
  readonly value: Uint8Array | undefined;
}

/** What a read found. Unreadable state is a value here; the store decides whether to throw it. */
export interface NatsState {
  readonly record: KillSwitchRecord | null;
  readonly head: NatsHead;
  readonly unreadable?: LivegateError;
}

export function unreadableState(
  keys: NatsKillSwitchKeys,
  key: string,
  problem: string,
  cause?: unknown,
): LivegateError {
  return new LivegateError(
    'ERR_STATE_UNREADABLE',
    `Kill-switch state ${keys.bucket}/${key} is unreadable: ${problem}`,
    { cause, details: { bucket: keys.bucket, key, problem } },
  );
}

/** One stored record, validated; when `expectedRevision` is given the content must agree with the key. */
export function parseRecord(
  keys: NatsKillSwitchKeys,
  key: string,
  value: Uint8Array,
  expectedRevision: number | undefined,
): KillSwitchRecord {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(value));
  } catch (error) {
    const problem = `not valid JSON (${value.length} bytes; truncated or garbage)`;
    throw unreadableState(keys, key, problem, error);
  }
  const parsed = killSwitchRecordSchema.safeParse(json);
  if (!parsed.success) {
    const problem = `not a kill-switch record: ${describeSchemaProblems(parsed.error)}`;
    throw unreadableState(keys, key, problem, parsed.error);
  }
  if (expectedRevision !== undefined && parsed.data.revision !== expectedRevision) {
    const problem = `holds revision ${parsed.data.revision} but its key says ${expectedRevision}`;
    throw unreadableState(keys, key, problem);
  }
  return parsed.data;
}

/**
 * The head is only a hint: a writer may have died between claiming revision n+1 and moving the
 * head, or moved it after a faster writer. So read it, then roll forward while the next revision
 * key exists. A deleted revision key is damage, not absence.
 */
export async function readNatsState(kv: KV, keys: NatsKillSwitchKeys): Promise<NatsState> {
  let headEntry: KvEntry | null;
  try {
    headEntry = await kv.get(keys.head);
  } catch (error) {
    // No bucket: no state (reads never create it).
    if (isStreamNotFound(error)) return { record: null, head: { kvRevision: 0, value: undefined } };
    throw error;
  }
  const head: NatsHead = {
    kvRevision: headEntry?.revision ?? 0,
    value: headEntry?.operation === 'PUT' ? headEntry.value : undefined,
  };
  let record: KillSwitchRecord | null = null;
  try {
    if (head.value !== undefined) record = parseRecord(keys, keys.head, head.value, undefined);
    for (;;) {
      const revision = (record?.revision ?? 0) + 1;
      const entry: KvEntry | null = await kv.get(keys.revision(revision));
      if (entry === null) return { record, head };
      record = parseRevisionEntry(keys, entry, revision);
    }
  } catch (error) {
    if (error instanceof LivegateError) return { record: null, head, unreadable: error };
    throw error;
  }
}

function parseRevisionEntry(
  keys: NatsKillSwitchKeys,
  entry: KvEntry,
  revision: number,
): KillSwitchRecord {
  if (entry.operation !== 'PUT') {
    throw unreadableState(keys, entry.key, `revision ${revision} was deleted (${entry.operation})`);
  }
  return parseRecord(keys, entry.key, entry.value, revision);
}

/** Every revision key's record, oldest first; deleted keys are skipped, unreadable ones throw. */
export async function readNatsHistory(
  kv: KV,
  keys: NatsKillSwitchKeys,
  signal: AbortSignal,
): Promise<KillSwitchRecord[]> {
  const records: KillSwitchRecord[] = [];
  await forEachEntry(await kv.history({ key: keys.revisions }), signal, (entry) => {
    const revision = keys.parseRevision(entry.key);
    if (revision === undefined || entry.operation !== 'PUT') return;
    records.push(parseRecord(keys, entry.key, entry.value, revision));
  });
  return records.sort((a, b) => a.revision - b.revision);
}

/** Highest revision key ever written, deleted ones included, so a repair never reuses a number. */
export async function highestRevisionKey(
  kv: KV,
  keys: NatsKillSwitchKeys,
  signal: AbortSignal,
): Promise<number> {
  let highest = 0;
  const entries = await kv.history({ key: keys.revisions });
  await forEachEntry(entries, signal, (entry) => {
    highest = Math.max(highest, keys.parseRevision(entry.key) ?? 0);
  });
  return highest;
}

/** Visits a KV listing to its end; stopping it when the caller gave up, or when `visit` throws. */
export async function forEachEntry(
  entries: QueuedIterator<KvWatchEntry>,
  signal: AbortSignal,
  visit: (entry: KvWatchEntry) => void,
): Promise<void> {
  const stop = () => entries.stop();
  if (signal.aborted) stop();
  signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const entry of entries) visit(entry);
  } finally {
    signal.removeEventListener('abort', stop);
    entries.stop();
  }
}

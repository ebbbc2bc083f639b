// Reading and compare-and-set writing of one scope's kill-switch keys; nothing unreadable is guessed at.
import { createHash } from 'node:crypto';
import { LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import { describeSchemaProblems, killSwitchRecordSchema } from './kill-switch-record-schema.js';
import {
  isReplyError,
  isWrongType,
  messageOf,
  storeErrorFrom,
  type RedisCommandConnection,
} from './redis-kill-switch-connection.js';
import type { RedisKillSwitchKeys } from './redis-kill-switch-options.js';

/** What a writer read: the record (or why there is none) and a token naming exactly that value. */
export interface StoredState {
  readonly record: KillSwitchRecord | null;
  readonly unreadable: LivegateError | undefined;
  /** `none`, `wrongtype` or `sha1:<hex of the raw value>`: the compare in compare-and-set. */
  readonly token: string;
}

export function unreadableState(key: string, problem: string, cause?: unknown): LivegateError {
  return new LivegateError(
    'ERR_STATE_UNREADABLE',
    `Kill-switch state ${key} is unreadable: ${problem}`,
    { cause, details: { key, problem } },
  );
}

/** One stored record, validated; `where` names the key (and list index) in the error. */
export function parseStoredRecord(text: string, where: string): KillSwitchRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw unreadableState(where, `not valid JSON (${text.length} bytes)`, error);
  }
  const parsed = killSwitchRecordSchema.safeParse(json);
  if (!parsed.success) {
    const problem = `not a kill-switch record: ${describeSchemaProblems(parsed.error)}`;
    throw unreadableState(where, problem, parsed.error);
  }
  return parsed.data;
}

/** The state key as stored; the caller adds the rules that need memory (vanished, went backwards). */
export async function readStoredState(
  connection: RedisCommandConnection,
  keys: RedisKillSwitchKeys,
): Promise<StoredState> {
  let raw: string | null;
  try {
    raw = await connection.request('GET state', (client) => client.get(keys.state));
  } catch (error) {
    if (isWrongType(error)) return wrongType(keys, error);
    if (isReplyError(error)) throw storeErrorFrom(`GET ${keys.state}`, error);
    throw error;
  }
  return raw === null ? readMissingState(connection, keys) : fromRaw(keys, raw);
}

/**
 * The state key and the trail are written together, so a trail without a state means the state
 * was deleted: reading "no state yet" there would let a first start write SAFE over a lost ENGAGED.
 * Read again with the trail in one transaction: a write landing between two separate reads would
 * look exactly like that.
 */
async function readMissingState(
  connection: RedisCommandConnection,
  keys: RedisKillSwitchKeys,
): Promise<StoredState> {
  const replies = await connection
    .request('GET state and EXISTS revisions', (client) =>
      client.multi().get(keys.state).exists(keys.revisions).exec(),
    )
    .catch((error: unknown) => {
      throw isReplyError(error) ? storeErrorFrom(`GET ${keys.state}`, error) : error;
    });
  const [[stateError, raw] = [], [trailError, trail] = []] = replies ?? [];
  if (isWrongType(stateError)) return wrongType(keys, stateError);
  if (isReplyError(stateError)) throw storeErrorFrom(`GET ${keys.state}`, stateError);
  if (isReplyError(trailError)) throw storeErrorFrom(`EXISTS ${keys.revisions}`, trailError);
  if (typeof raw === 'string') return fromRaw(keys, raw);
  if (trail === 0) return { record: null, unreadable: undefined, token: 'none' };
  const unreadable = unreadableState(
    keys.state,
    `missing while the audit trail ${keys.revisions} exists (deleted by hand?)`,
  );
  return { record: null, unreadable, token: 'none' };
}

function wrongType(keys: RedisKillSwitchKeys, error: Error): StoredState {
  const unreadable = unreadableState(keys.state, error.message, error);
  return { record: null, unreadable, token: 'wrongtype' };
}

function fromRaw(keys: RedisKillSwitchKeys, raw: string): StoredState {
  const token = `sha1:${createHash('sha1').update(raw, 'utf8').digest('hex')}`;
  try {
    return { record: parseStoredRecord(raw, keys.state), unreadable: undefined, token };
  } catch (error) {
    return { record: null, unreadable: error as LivegateError, token };
  }
}

/** Records in the audit trail, oldest first; `limit` takes the newest ones. */
export async function readRevisions(
  connection: RedisCommandConnection,
  keys: RedisKillSwitchKeys,
  limit: number | undefined,
): Promise<KillSwitchRecord[]> {
  if (limit === 0) return [];
  const start = limit === undefined ? 0 : -limit;
  let raws: string[];
  try {
    raws = await connection.request('LRANGE revisions', (client) =>
      client.lrange(keys.revisions, start, -1),
    );
  } catch (error) {
    if (isWrongType(error)) throw unreadableState(keys.revisions, messageOf(error), error);
    if (isReplyError(error)) throw storeErrorFrom(`LRANGE ${keys.revisions}`, error);
    throw error;
  }
  // Name a damaged entry by its LINDEX index (negative when counted from the end).
  const offset = limit === undefined ? 0 : raws.length;
  return raws.map((raw, index) => parseStoredRecord(raw, `${keys.revisions}[${index - offset}]`));
}

/**
 * The highest revision number the trail has used, read best-effort for a repair: its length
 * (revisions start at 1 and have no gaps) or the newest entry's number, whichever is higher.
 */
export async function highestTrailRevision(
  connection: RedisCommandConnection,
  keys: RedisKillSwitchKeys,
): Promise<number> {
  try {
    const [length, newest] = await connection.request('LLEN revisions', (client) =>
      Promise.all([client.llen(keys.revisions), client.lindex(keys.revisions, -1)]),
    );
    let newestRevision = 0;
    if (newest !== null) {
      try {
        newestRevision = parseStoredRecord(newest, keys.revisions).revision;
      } catch {
        // A damaged newest entry: its length still bounds the numbers used.
      }
    }
    return Math.max(length, newestRevision);
  } catch (error) {
    if (isReplyError(error)) return 0; // The write itself will fail and say why.
    throw error;
  }
}

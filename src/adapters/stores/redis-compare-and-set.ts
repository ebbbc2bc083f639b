// One kill-switch revision written only over exactly the value its writer decided on, then, when
// configured, held until enough replicas have it (WAIT on the connection that wrote it).
import { isLivegateError, LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import {
  isReplyError,
  messageOf,
  type RedisCommandConnection,
} from './redis-kill-switch-connection.js';
import type { RedisKillSwitchKeys } from './redis-kill-switch-options.js';

/*
 * The token is computed the same way the reader computed it, so a writer only replaces exactly
 * the value it decided on. RPUSH comes first: if the trail cannot take the record (wrong type),
 * the script stops before anything is changed. An unreadable state is renamed aside, not
 * overwritten, so the evidence survives the repair.
 */
const COMPARE_AND_SET = `
local kind = redis.call('TYPE', KEYS[1])['ok']
local token = kind
if kind == 'string' then
  token = 'sha1:' .. redis.sha1hex(redis.call('GET', KEYS[1]))
elseif kind ~= 'none' then
  token = 'wrongtype'
end
if token ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
if kind ~= 'none' and ARGV[4] == '1' then redis.call('RENAME', KEYS[1], KEYS[3]) end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[2])
return 1
`;

/** How far a write must travel before it is acknowledged: `replicas` 0 is the primary's word. */
export interface ReplicaAcknowledgement {
  readonly replicas: number;
  readonly timeoutMs: number;
}

export interface CompareAndSet {
  readonly expectedToken: string;
  readonly record: KillSwitchRecord;
  /** Move the current value to `asideKey` first (it was unreadable). */
  readonly setAside: boolean;
  readonly asideKey: string;
  readonly acknowledgement: ReplicaAcknowledgement;
}

export type CompareAndSetOutcome =
  | { readonly written: false }
  | { readonly written: true; readonly replicaShortfall?: LivegateError };

/**
 * `written: false` when another writer changed the state first. A write the replicas did not
 * all acknowledge is still written (it is on the primary): the caller records that it exists
 * before reporting `replicaShortfall`.
 */
export async function compareAndSet(
  connection: RedisCommandConnection,
  keys: RedisKillSwitchKeys,
  write: CompareAndSet,
): Promise<CompareAndSetOutcome> {
  const { record, acknowledgement } = write;
  const args = [
    keys.state,
    keys.revisions,
    write.asideKey,
    write.expectedToken,
    JSON.stringify(record),
    keys.changed,
    write.setAside ? '1' : '0',
  ];
  const waits = acknowledgement.replicas > 0;
  let replies: [unknown, unknown];
  try {
    replies = await connection.request(
      `write revision ${record.revision}`,
      async (client) => {
        if (!waits) return [await client.eval(COMPARE_AND_SET, 3, ...args), undefined];
        // One pipeline: WAIT must run on the connection that wrote, and right after the write. A
        // WAIT sent after a reconnect would count replicas of nothing and vouch for a lost write.
        const [written, waited] = (await client
          .pipeline()
          .eval(COMPARE_AND_SET, 3, ...args)
          .wait(acknowledgement.replicas, acknowledgement.timeoutMs)
          .exec()) ?? [[new Error('pipeline discarded'), null]];
        if (written?.[0]) throw written[0];
        return [written?.[1], waited];
      },
      waits ? acknowledgement.timeoutMs : 0,
    );
  } catch (error) {
    throw writeFailed(record, keys, error);
  }
  if (replies[0] !== 1) return { written: false };
  if (!waits) return { written: true };
  const shortfall = replicaShortfall(record, keys, acknowledgement, replies[1]);
  return shortfall === undefined
    ? { written: true }
    : { written: true, replicaShortfall: shortfall };
}

function writeFailed(
  record: KillSwitchRecord,
  keys: RedisKillSwitchKeys,
  error: unknown,
): LivegateError {
  if (isReplyError(error)) {
    return new LivegateError(
      'ERR_STATE_WRITE_FAILED',
      `Kill-switch revision ${record.revision} was refused by the server: ${messageOf(error)}`,
      { cause: error, details: { revision: record.revision, key: keys.state } },
    );
  }
  // The script may still run when a frozen server resumes: say so rather than promise nothing happened.
  return new LivegateError(
    'ERR_STORE_UNREACHABLE',
    `${messageOf(error)} (revision ${record.revision} may still be applied if the server resumes)`,
    { cause: error, details: { ...detailsOf(error), revision: record.revision } },
  );
}

/** The pipeline's WAIT reply: a count of replicas, or the error the server answered instead. */
type WaitReply = [Error | null, unknown] | undefined;

function replicaShortfall(
  record: KillSwitchRecord,
  keys: RedisKillSwitchKeys,
  wanted: ReplicaAcknowledgement,
  reply: unknown,
): LivegateError | undefined {
  const [waitError, count] = (reply as WaitReply) ?? [new Error('no reply to WAIT'), undefined];
  const acknowledged = typeof count === 'number' ? count : 0;
  if (waitError === null && acknowledged >= wanted.replicas) return undefined;
  const why =
    waitError === null
      ? `${acknowledged} of ${wanted.replicas} replicas acknowledged it within ${wanted.timeoutMs} ms`
      : `WAIT failed (${waitError.message}), so no replica is known to have it`;
  return new LivegateError(
    'ERR_STATE_WRITE_FAILED',
    `Kill-switch revision ${record.revision} (${record.state}) is on the Redis primary but NOT ` +
      `durable: ${why} (killSwitch.redis.replicasToAcknowledge ${wanted.replicas}); ` +
      'a failover now could lose it',
    {
      cause: waitError ?? undefined,
      details: {
        key: keys.state,
        revision: record.revision,
        state: record.state,
        durability: 'primary-only',
        replicasAcknowledged: acknowledged,
        replicasRequired: wanted.replicas,
      },
    },
  );
}

function detailsOf(error: unknown): Readonly<Record<string, unknown>> | undefined {
  return isLivegateError(error) ? error.details : undefined;
}

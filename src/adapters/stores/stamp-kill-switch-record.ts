// Rules every store's update() shares: stamping a change into a record, and what a no-op may return.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import {
  generationCreatedAt,
  type KillSwitchChange,
  type KillSwitchRecord,
} from '../../core/kill-switch-record.js';
import { checkKillSwitchRecord } from './kill-switch-record-check.js';

export interface StampContext {
  readonly clock: Clock;
  readonly host: string;
  readonly pid: number;
  /** The newest generation this writer has seen (its mark), which a new one must come after. */
  readonly lastGeneration?: () => string;
}

/**
 * Validating before writing matters: a record that fails the read schema would make every
 * reader fail closed, so a bad change is refused here and nothing is written.
 */
export function stampKillSwitchRecord(
  change: KillSwitchChange,
  revision: number,
  context: StampContext,
  previous: KillSwitchRecord | null,
): KillSwitchRecord {
  const date = new Date(context.clock.now());
  const generation = generationAfter(previous, context.lastGeneration?.() ?? '');
  const candidate = {
    revision,
    ...(generation === undefined ? {} : { generation }),
    state: change.state,
    reason: change.reason,
    by: change.by,
    trigger: change.trigger,
    // A broken clock (NaN) yields a value the schema rejects instead of a RangeError.
    at: Number.isFinite(date.getTime()) ? date.toISOString() : String(date),
    host: context.host,
    pid: context.pid,
    ...(change.origin === undefined ? {} : { origin: change.origin }),
  };
  const parsed = checkKillSwitchRecord(candidate);
  if (!parsed.ok) {
    throw new LivegateError(
      'ERR_TRANSITION_REFUSED',
      `Refusing to write kill-switch revision ${revision}: ${parsed.problems.join('; ')}`,
      { details: { revision } },
    );
  }
  return parsed.value;
}

/**
 * A record continues the generation of the one it follows; state written over nothing (first
 * start, init, a reset after the state was lost, a repair over unreadable state) starts a new one.
 * Records from before generations existed continue without one. A new generation is dated after
 * the newest this writer saw, even if this host's clock is behind the one that created that:
 * readers take a generation created before theirs for an old copy (revision-mark.ts).
 */
function generationAfter(previous: KillSwitchRecord | null, lastSeen: string): string | undefined {
  if (previous !== null) return previous.generation;
  const created = Math.max(Date.now(), (generationCreatedAt(lastSeen) ?? 0) + 1);
  return `${created.toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** decide() declined but there is no record to return: say why instead of inventing one. */
export function nothingToReturn(unreadable: LivegateError | undefined): LivegateError {
  if (unreadable !== undefined) {
    return new LivegateError(
      'ERR_STATE_UNREADABLE',
      `The kill-switch state is unreadable and the update wrote nothing: ${unreadable.message}`,
      { cause: unreadable, details: { ...unreadable.details } },
    );
  }
  return new LivegateError(
    'ERR_TRANSITION_REFUSED',
    'No kill-switch state exists yet and the update wrote nothing, so there is no record to return',
  );
}

// One limits change: read the latest revision, apply the assignments, refuse a loosening without
// authority, and claim revision n+1; a writer that lost the race re-reads and decides again.

import { systemClock, type Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import type { KillSwitchOrigin } from '../../core/kill-switch-record.js';
import type { LimitsRecord, LiveLimits } from '../../core/limits-record.js';
import type { LimitsStore } from '../../core/ports.js';
import {
  applyAssignments,
  diffLimits,
  limitsInForce,
  type LimitsAssignment,
} from './live-limits.js';

/** Losing the race this long means something is badly wrong; say so rather than spin. */
const WRITE_DEADLINE_MS = 10_000;

export interface LimitsChange {
  readonly assignments: readonly LimitsAssignment[];
  readonly reason: string;
  readonly by: string;
  /** The caller may loosen (CLI --loosen, HTTP admin). */
  readonly mayLoosen: boolean;
  /** What the engines run with while no revision exists (the writer's config). */
  readonly configLimits: LiveLimits;
  readonly host: string;
  readonly pid: number;
  readonly origin?: KillSwitchOrigin;
  readonly clock?: Clock;
}

export interface LimitsChangeResult {
  /** The revision in force after the change (null: none, and nothing changed). */
  readonly record: LimitsRecord | null;
  /** False when the assignments changed nothing. */
  readonly changed: boolean;
  /** Attempts lost to other writers before this one won. */
  readonly lostRaces: number;
}

export async function changeLimits(
  store: LimitsStore,
  change: LimitsChange,
): Promise<LimitsChangeResult> {
  const deadline = performance.now() + WRITE_DEADLINE_MS;
  for (let attempt = 1; ; attempt += 1) {
    const latest = await store.latest();
    // A stored record without monitor rules left them to the config: this writer's stand in.
    const current = limitsInForce(latest?.limits, change.configLimits);
    const next = applyAssignments(current, change.assignments);
    const diff = diffLimits(current, next);
    if (diff.length === 0) return { record: latest, changed: false, lostRaces: attempt - 1 };
    const loosening = diff.filter((entry) => entry.loosens);
    if (loosening.length > 0 && !change.mayLoosen) throw loosenRefused(loosening);
    const record: LimitsRecord = {
      revision: (latest?.revision ?? 0) + 1,
      limits: next,
      reason: change.reason,
      by: change.by,
      at: new Date((change.clock ?? systemClock).now()).toISOString(),
      host: change.host,
      pid: change.pid,
      diff,
      loosens: loosening.length > 0,
      ...(change.origin === undefined ? {} : { origin: change.origin }),
    };
    if (await store.append(record)) return { record, changed: true, lostRaces: attempt - 1 };
    if (performance.now() > deadline) {
      throw new LivegateError(
        'ERR_STATE_WRITE_FAILED',
        `Could not claim a limits revision within ${WRITE_DEADLINE_MS} ms: ${attempt} attempts lost to other writers`,
      );
    }
  }
}

function loosenRefused(entries: readonly { key: string; from?: unknown; to?: unknown }[]) {
  const keys = entries
    .map((e) => `${e.key} ${show(e.key, e.from)} -> ${show(e.key, e.to)}`)
    .join(', ');
  return new LivegateError(
    'ERR_LIMITS_LOOSENING_REFUSED',
    `this change loosens ${keys}: loosening needs --loosen on the CLI, or the admin token over HTTP`,
    { details: { keys: entries.map((e) => e.key) } },
  );
}

/** A monitor rule is stored whole, defaults filled in: a missing value means the rule is off. */
function show(key: string, value: unknown): string {
  return value === undefined
    ? key.startsWith('monitor.')
      ? '(off)'
      : '(default)'
    : value === Infinity
      ? 'Infinity'
      : JSON.stringify(value);
}

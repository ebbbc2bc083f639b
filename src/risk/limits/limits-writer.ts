// One limits change: read the latest revision, apply the assignments, refuse a loosening without
// authority, and claim revision n+1; a writer that lost the race re-reads and decides again.

import { systemClock, type Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import type { KillSwitchOrigin } from '../../core/kill-switch-record.js';
import {
  encodeInfinity,
  unreadableLimitsRevision,
  type LimitsRecord,
  type LiveLimits,
} from '../../core/limits-record.js';
import type { LimitsStore } from '../../core/ports.js';
import type { LimitsDiffEntry } from '../../core/limits-record.js';
import {
  applyOverrideAssignments,
  limitsInForce,
  mergeOverrides,
  overrideKeys,
  overridesOf,
} from './limits-overrides.js';
import { aggregateKeyPath, configHoldsAggregateKey } from './desk-limits.js';
import { wholeMonitorRules } from './whole-monitor-rules.js';
import { wholeOrderRates } from './whole-order-rates.js';
import { desksOfOverrides, refuseDeskCaseTwins, type NamedDesk } from './desk-names.js';
import {
  keyLoosens,
  keyTightens,
  validateLiveLimits,
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
  /**
   * Desks in use beyond the latest revision's overrides (the writer's config, the engine reports
   * on the store): a desk key differing only by case from one of them is refused.
   */
  readonly namedDesks?: readonly NamedDesk[];
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
    const { latest, unreadable } = await readLatest(store, change.mayLoosen);
    refuseDeskCaseTwins(change.assignments, [
      ...(change.namedDesks ?? []),
      ...desksOfOverrides(overridesOf(latest), latest?.revision ?? 0),
    ]);
    // Checked as this writer's engines would enforce them; others check on apply and report.
    const before = limitsInForce(latest, change.configLimits);
    const overrides = wholeMonitorRules(
      wholeOrderRates(
        applyOverrideAssignments(overridesOf(latest), change.assignments),
        before,
        change.assignments,
      ),
      before,
      change.configLimits,
      change.assignments,
    );
    const after = validateLiveLimits(mergeOverrides(change.configLimits, overrides));
    const diff = diffOverrides(overridesOf(latest), overrides, before, after, change.configLimits);
    if (diff.length === 0 && unreadable === undefined) {
      return { record: latest, changed: false, lostRaces: attempt - 1 };
    }
    const loosening = diff.filter((entry) => entry.loosens);
    if (loosening.length > 0 && !change.mayLoosen) {
      throw loosenRefused(loosening, before, change.configLimits);
    }
    const record: LimitsRecord = {
      revision: (unreadable ?? latest?.revision ?? 0) + 1,
      limits: overrides,
      overrides: true,
      reason: change.reason,
      by: change.by,
      at: new Date((change.clock ?? systemClock).now()).toISOString(),
      host: change.host,
      pid: change.pid,
      diff,
      loosens: loosening.length > 0 || unreadable !== undefined,
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

/**
 * The latest record, or the number of one the store holds but this build cannot parse. Written
 * over, such a revision's overrides are lost (they cannot be read): the new one starts from none,
 * which may drop earlier tightenings, so it needs the authority to loosen.
 */
async function readLatest(
  store: LimitsStore,
  mayLoosen: boolean,
): Promise<{ latest: LimitsRecord | null; unreadable?: number }> {
  try {
    return { latest: await store.latest() };
  } catch (error) {
    const unreadable = unreadableLimitsRevision(error);
    if (unreadable === undefined) throw error;
    if (!mayLoosen) {
      throw new LivegateError(
        'ERR_LIMITS_LOOSENING_REFUSED',
        `limits revision ${unreadable} cannot be read (${error instanceof Error ? error.message : String(error)}): a revision written over it starts from no overrides and may drop earlier tightenings, so it needs --loosen on the CLI, or the admin token over HTTP`,
        { details: { unreadableRevision: unreadable } },
      );
    }
    return { latest: null, unreadable };
  }
}

/**
 * Every override that changed. It loosens when it moves an earlier override the looser way, when
 * it removes one (each engine goes back to its own config, which may be looser), and, for a key
 * never overridden, unless it is strictly tighter than this writer's config: the writer cannot
 * see the other engines' configs, so only a value that tightens here counts as tightening. A desk
 * or firm field the writer's config does not hold at all is no tightening either (an engine's own
 * config may hold a tighter one): its first override loosens.
 */
function diffOverrides(
  from: LiveLimits,
  to: LiveLimits,
  before: LiveLimits,
  after: LiveLimits,
  config: LiveLimits,
): LimitsDiffEntry[] {
  const old = valuesByKey(from);
  const now = valuesByKey(to);
  const keys = [...new Set([...old.keys(), ...now.keys()])].sort();
  const entries: LimitsDiffEntry[] = [];
  for (const key of keys) {
    const a = old.get(key);
    const b = now.get(key);
    if (JSON.stringify(encodeInfinity(a)) === JSON.stringify(encodeInfinity(b))) continue;
    entries.push({
      key,
      ...(a === undefined ? {} : { from: a }),
      ...(b === undefined ? {} : { to: b }),
      loosens:
        b === undefined ||
        (a === undefined
          ? !firstOverrideTightens(key, before, after, config)
          : keyLoosens(key, before, after)),
    });
  }
  return entries;
}

function firstOverrideTightens(
  key: string,
  before: LiveLimits,
  after: LiveLimits,
  config: LiveLimits,
): boolean {
  if (aggregateKeyPath(key).length > 0 && !configHoldsAggregateKey(config, key)) return false;
  return keyTightens(key, before, after);
}

function valuesByKey(overrides: LiveLimits): Map<string, unknown> {
  return new Map(overrideKeys(overrides).map((key) => [key, valueAt(overrides, key)]));
}

function valueAt(limits: LiveLimits, key: string): unknown {
  const [section, ...segments] = key.split('.');
  if (section === 'desks' || section === 'firm') {
    // Desk and symbol names may hold dots: split as the key's grammar reads it.
    const [, ...path] = aggregateKeyPath(key);
    return path.reduce<unknown>(
      (node, segment) =>
        typeof node === 'object' && node !== null && Object.hasOwn(node, segment)
          ? (node as Record<string, unknown>)[segment]
          : undefined,
      limits[section],
    );
  }
  // A symbol name may hold dots (BRK.B): everything between `symbols.` and the field is the name.
  const path =
    section === 'preTrade' && segments[0] === 'symbols' && segments.length > 3
      ? ['symbols', segments.slice(1, -1).join('.'), segments[segments.length - 1]!]
      : segments;
  let node: unknown = section === 'monitor' ? limits.monitor : limits.preTrade;
  for (const segment of path) {
    node =
      typeof node === 'object' && node !== null
        ? (node as Record<string, unknown>)[segment]
        : undefined;
  }
  return node;
}

function loosenRefused(
  entries: readonly { key: string; from?: unknown; to?: unknown }[],
  before: LiveLimits,
  config: LiveLimits,
) {
  const keys = entries
    .map((e) => {
      const from =
        'from' in e
          ? show(e.key, e.from)
          : aggregateKeyPath(e.key).length > 0 && !configHoldsAggregateKey(config, e.key)
            ? `(not overridden; the writer's config has no ${e.key}: engines may hold a tighter one)`
            : `(not overridden; ${show(e.key, valueAt(before, e.key))} in this config)`;
      const to = 'to' in e ? show(e.key, e.to) : "(override removed: each engine's config)";
      return `${e.key} ${from} -> ${to}`;
    })
    .join(', ');
  return new LivegateError(
    'ERR_LIMITS_LOOSENING_REFUSED',
    `this change loosens ${keys}: loosening needs --loosen on the CLI, or the admin token over HTTP`,
    { details: { keys: entries.map((e) => e.key) } },
  );
}

/** A monitor rule is stored whole, defaults filled in: a missing value means the rule is off. */
function show(key: string, value: unknown): string {
  return value === undefined || value === null
    ? key.startsWith('monitor.')
      ? '(off)'
      : '(default)'
    : value === Infinity
      ? 'Infinity'
      : JSON.stringify(value);
}

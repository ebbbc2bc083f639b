// The persisted shape of the live risk limits: one record per revision, stored beside the kill switch.

import { isLivegateError } from './errors.js';
import type { KillSwitchOrigin } from './kill-switch-record.js';

/**
 * The limits an engine may change while it runs, as the config spells them (`risk.preTrade`
 * without `enabled`, `risk.monitor.rules`). Kept as plain JSON so every store writes the same bytes.
 */
export interface LiveLimits {
  readonly preTrade: Readonly<Record<string, unknown>>;
  /**
   * The risk monitor's rules. Absent (a record written before monitor limits were live): each
   * engine keeps its own config's `risk.monitor.rules`.
   */
  readonly monitor?: { readonly rules: Readonly<Record<string, unknown>> };
  /**
   * Desk limits (`risk.desks`) by desk name. Absent (older records, or none set): each engine and
   * guard keeps its config's. `Infinity` in an override removes that limit.
   */
  readonly desks?: Readonly<Record<string, unknown>>;
  /** Firm limits (`risk.firm`); absent as for desks. */
  readonly firm?: Readonly<Record<string, unknown>>;
}

/** One changed value, by its dotted config key; `undefined` stands for "not set" (a default). */
export interface LimitsDiffEntry {
  readonly key: string;
  readonly from?: unknown;
  readonly to?: unknown;
  /** True when this change lets through something the previous revision denied (needs admin). */
  readonly loosens: boolean;
}

export interface LimitsRecord {
  /** Monotonic, gap-free: revision n+1 is written only by the writer that read n. */
  readonly revision: number;
  /**
   * With `overrides`: only the keys `limits set` ever set (every revision carries them all), laid
   * over each engine's own config. Without (older writers): a whole set that replaces the config.
   */
  readonly limits: LiveLimits;
  readonly overrides?: true;
  readonly reason: string;
  /** Operator name. */
  readonly by: string;
  /** ISO-8601 UTC. */
  readonly at: string;
  readonly host: string;
  readonly pid: number;
  /** The overrides that changed against the previous revision (`from` absent: first set). */
  readonly diff: readonly LimitsDiffEntry[];
  /** Some entry of `diff` loosens, and the writer was allowed to (CLI --loosen, HTTP admin). */
  readonly loosens: boolean;
  readonly origin?: KillSwitchOrigin;
}

/** JSON has no Infinity: stored records spell it "Infinity" (as the CLI and YAML accept it). */
export function encodeInfinity(value: unknown): unknown {
  if (value === Infinity) return 'Infinity';
  if (Array.isArray(value)) return value.map(encodeInfinity);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeInfinity(v)]));
  }
  return value;
}

export function decodeInfinity(value: unknown): unknown {
  if (value === 'Infinity') return Infinity;
  if (Array.isArray(value)) return value.map(decodeInfinity);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeInfinity(v)]));
  }
  return value;
}

/**
 * The revision whose record the store holds but cannot parse (a writer this build does not
 * understand, a damaged record); undefined for any other error (unreachable, unlisted).
 */
export function unreadableLimitsRevision(error: unknown): number | undefined {
  if (!isLivegateError(error, 'ERR_STATE_UNREADABLE')) return undefined;
  const revision = error.details?.['unreadableRevision'];
  return typeof revision === 'number' ? revision : undefined;
}

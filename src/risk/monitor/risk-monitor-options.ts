// The risk monitor's options: one strict schema, checked once, every problem reported at once.

import * as z from 'zod';
import { LivegateError } from '../../core/errors.js';
import type { RiskAction } from '../../core/risk-snapshot.js';
import { RULE_NAMES, type RuleName } from './risk-rule.js';

export interface RiskRuleOptions {
  /** What a trip does: engage or reduce the kill switch, or only emit RiskLimitBreached. Default 'engage'. */
  action?: RiskAction;
}

export interface RiskMonitorOptions {
  /** Timer period for evaluating every rule, ms. Default 100. */
  evaluationIntervalMs?: number;
  /** On an engage trip: REDUCING, flatten through the gates, then ENGAGED. Default false. */
  flattenOnEngage?: boolean;
  /**
   * How long ENGAGED waits for the flatten's orders to be done (filled, rejected, cancelled) before
   * it is written anyway, so the engage's cancel-all does not race them at the venue. Default 5000.
   */
  flattenTimeoutMs?: number;
  /**
   * Warnings before a trip: a RiskLimitApproached event (journal, warn log, webhook) when a rule's
   * utilization reaches each level, once per level until it falls 10 points below it again.
   */
  warnings?: {
    /** Fractions of the threshold, increasing, each in (0, 1). Default [0.5, 0.75, 0.9]; [] is off. */
    levels?: number[];
    /** Default the loss and exposure rules: dailyLoss, maxDrawdown, grossExposure, positionLimit. */
    rules?: RuleName[];
  };
  /** Every rule is optional; a missing rule is off. */
  rules?: {
    /** Trips when −dailyPnl ≥ limit (currency). */
    dailyLoss?: RiskRuleOptions & { limit: number };
    /** Trips when equity peak − equity ≥ limit (currency). */
    maxDrawdown?: RiskRuleOptions & { limit: number };
    /** Trips when the gross exposure (Σ |position| × contract size × mark, account currency) ≥ limit. */
    grossExposure?: RiskRuleOptions & { limit: number };
    /** Trips when any |position| > limit after a fill. */
    positionLimit?: RiskRuleOptions & { limit: number };
    /** Trips when more than `limit` orders are submitted within `windowMs` (a runaway). */
    orderRate?: RiskRuleOptions & { limit: number; windowMs: number };
    /** Trips when rejects / submitted within `windowMs` ≥ limit (0..1), once ≥ minOrders were submitted. */
    rejectRate?: RiskRuleOptions & { limit: number; windowMs: number; minOrders: number };
    /** Trips when the strategy failed `limit` times in a row. */
    strategyErrors?: RiskRuleOptions & { limit: number };
    /** Trips when no tick arrived for `limitMs` (overall, or for any symbol seen so far). */
    staleFeed?: RiskRuleOptions & { limitMs: number; perSymbol?: boolean };
    /** Trips when the event loop was blocked longer than `limitMs` during the last interval. */
    eventLoopStall?: RiskRuleOptions & { limitMs: number };
    /** Trips when the p99 tick-to-order latency over `windowMs` ≥ limitMicros (once ≥ minOrders, default 100). */
    latencyP99?: RiskRuleOptions & { limitMicros: number; windowMs: number; minOrders?: number };
    /** Trips when a feed or broker connection (a gateway, a venue) stays down for `limitMs`. */
    venueDisconnected?: RiskRuleOptions & { limitMs: number };
    /** Trips when the feed reports `limit` sequence gaps within `windowMs`. */
    feedGaps?: RiskRuleOptions & { limit: number; windowMs: number };
    /** Trips when reconciliation with the venue finds `limit` mismatches within `windowMs`. */
    reconciliation?: RiskRuleOptions & { limit: number; windowMs: number };
  };
}

/** A p99 of fewer samples is just the maximum, so one slow order would trip it. */
export const DEFAULT_LATENCY_MIN_ORDERS = 100;

const action = z.enum(['engage', 'reduce', 'alert']).default('engage');
const positive = () => z.number().gt(0);
const windowMs = () => z.number().int().min(1);
const count = () => z.number().int().min(1);

export const riskRulesSchema = z.strictObject({
  dailyLoss: z.strictObject({ action, limit: positive() }).optional(),
  maxDrawdown: z.strictObject({ action, limit: positive() }).optional(),
  grossExposure: z.strictObject({ action, limit: positive() }).optional(),
  positionLimit: z.strictObject({ action, limit: positive() }).optional(),
  orderRate: z.strictObject({ action, limit: positive(), windowMs: windowMs() }).optional(),
  rejectRate: z
    .strictObject({ action, limit: positive().max(1), windowMs: windowMs(), minOrders: count() })
    .optional(),
  strategyErrors: z.strictObject({ action, limit: count() }).optional(),
  staleFeed: z
    .strictObject({ action, limitMs: positive(), perSymbol: z.boolean().default(false) })
    .optional(),
  eventLoopStall: z.strictObject({ action, limitMs: positive() }).optional(),
  latencyP99: z
    .strictObject({
      action,
      limitMicros: positive(),
      windowMs: windowMs(),
      minOrders: count().default(DEFAULT_LATENCY_MIN_ORDERS),
    })
    .optional(),
  venueDisconnected: z.strictObject({ action, limitMs: positive() }).optional(),
  feedGaps: z.strictObject({ action, limit: count(), windowMs: windowMs() }).optional(),
  reconciliation: z.strictObject({ action, limit: count(), windowMs: windowMs() }).optional(),
});

/** The rules that warn unless `warnings.rules` says otherwise: the loss and exposure limits. */
export const DEFAULT_WARNING_RULES: readonly RuleName[] = [
  'dailyLoss',
  'maxDrawdown',
  'grossExposure',
  'positionLimit',
];

export const warningsSchema = z.strictObject({
  levels: z
    .array(z.number().gt(0).lt(1, 'must be below 1: the rule itself acts at 1 (100 %)'))
    .refine((levels) => levels.every((level, index) => index === 0 || level > levels[index - 1]!), {
      message: 'must be in increasing order, each once (0.5, 0.75, 0.9)',
    })
    .default(() => [0.5, 0.75, 0.9]),
  rules: z.array(z.enum(RULE_NAMES)).default(() => [...DEFAULT_WARNING_RULES]),
});

/** The options' schema; the config file's `risk.monitor` section is this plus `enabled`. */
export const riskMonitorOptionsSchema = z.strictObject({
  evaluationIntervalMs: windowMs().default(100),
  warnings: warningsSchema.prefault({}),
  flattenOnEngage: z.boolean().default(false),
  flattenTimeoutMs: z.number().int().min(0).max(600_000).default(5_000),
  rules: riskRulesSchema.default(() => ({})),
});

/** Options after validation: defaults filled in, deep-frozen. */
export type ResolvedRiskMonitorOptions = z.output<typeof riskMonitorOptionsSchema>;
export type ResolvedRules = ResolvedRiskMonitorOptions['rules'];

/** Throws ERR_CONFIG_INVALID naming every bad dotted path (`rules.orderRate.windowMs: ...`). */
export function parseRiskMonitorOptions(options: unknown): ResolvedRiskMonitorOptions {
  const parsed = riskMonitorOptionsSchema.safeParse(options);
  if (parsed.success) return deepFreeze(parsed.data);
  const problems = parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: dotted([...issue.path, key]), message: 'unknown key' }))
      : [{ path: dotted(issue.path), message: issue.message }],
  );
  throw new LivegateError(
    'ERR_CONFIG_INVALID',
    `Invalid RiskMonitor options: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    { cause: parsed.error, details: { problems } },
  );
}

function dotted(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(options)' : path.map(String).join('.');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

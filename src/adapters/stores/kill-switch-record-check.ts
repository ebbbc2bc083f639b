// The kill-switch record and engine report checked without zod, for the file store that `kill`
// and `status` open: the same verdicts as kill-switch-record-schema.ts (the zod schemas, still
// the reference), held equal by test/killswitch/kill-switch-record-check.test.ts.
import { LivegateError } from '../../core/errors.js';
import {
  KILL_SWITCH_STATES,
  type EngineReport,
  type KillSwitchRecord,
} from '../../core/kill-switch-record.js';
import {
  boolean,
  dictionary,
  either,
  finite,
  integer,
  list,
  nullable,
  object,
  oneOf,
  optional,
  text,
  type Problems,
  type Shape,
} from '../../core/shape-check.js';

/** zod's `z.iso.datetime()`: UTC (`Z`), seconds required, any fraction (a test compares them). */
export const ISO_DATETIME_PATTERN =
  /^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z))$/;

const isoDatetime = text({ pattern: ISO_DATETIME_PATTERN });
const state = oneOf(KILL_SWITCH_STATES);

export const KILL_SWITCH_RECORD_SHAPE: Shape = {
  revision: integer(1),
  generation: optional(text({ pattern: /^[A-Za-z0-9._-]{1,64}$/ })),
  state,
  reason: text(),
  by: text(),
  trigger: text({ min: 1 }),
  at: isoDatetime,
  host: text({ min: 1 }),
  pid: integer(0),
  origin: optional(
    object(
      {
        channel: text({ min: 1 }),
        role: optional(text({ min: 1 })),
        address: optional(text({ min: 1 })),
      },
      'strict',
    ),
  ),
};

const strictObjects = (shape: Shape) => list(object(shape, 'strict'));

const RISK_SHAPE: Shape = {
  positions: strictObjects({
    symbol: text(),
    quantity: finite(),
    averagePrice: finite(),
    markPrice: finite(),
    unrealizedPnl: finite(),
    quoteCurrency: optional(text()),
    conversionRate: optional(oneOf(['stale', 'missing'])),
  }),
  realizedPnl: finite(),
  unrealizedPnl: finite(),
  dailyPnl: finite(),
  equityPeak: finite(),
  drawdown: finite(),
  grossExposure: finite(),
  accountCurrency: optional(text()),
  missingConversionRates: optional(list(text())),
  staleConversionRates: optional(
    strictObjects({ currency: text(), lastRate: finite(), ageMs: nullable(finite()) }),
  ),
  rules: strictObjects({
    rule: text(),
    action: oneOf(['engage', 'reduce', 'alert']),
    value: finite(),
    threshold: finite(),
    utilization: finite(),
    tripped: boolean(),
    warningLevel: optional(finite()),
  }),
  tradingWindows: optional(
    strictObjects({
      window: text(),
      timeZone: text(),
      phase: oneOf(['open', 'flattening', 'closed']),
      nextOpen: nullable(finite()),
      nextClose: nullable(finite()),
      flattenAt: nullable(finite()),
    }),
  ),
};

export const ENGINE_REPORT_SHAPE: Shape = {
  engineId: text({ min: 1 }),
  host: text(),
  pid: integer(0),
  process: optional(
    object(
      {
        bootId: text({ min: 1, max: 64 }),
        pidNamespace: text({ min: 1, max: 64 }),
        startTicks: integer(0),
      },
      'strict',
    ),
  ),
  startedAt: isoDatetime,
  reportedAt: finite(),
  observedRevision: integer(0),
  scopes: optional(dictionary(text({ min: 1 }), integer(0))),
  observedAt: finite(),
  enforcedState: state,
  failClosed: boolean(),
  stats: dictionary(text(), either(finite(), text())),
  limitsRevision: optional(integer(0)),
  limitsAt: optional(text()),
  risk: optional(object(RISK_SHAPE, 'strict')),
};

const recordCheck = object(KILL_SWITCH_RECORD_SHAPE, 'strict');
const reportCheck = object(ENGINE_REPORT_SHAPE, 'strict');
/** Readers ignore keys from a newer version rather than lose sight of an engine. */
const readableReportCheck = object(ENGINE_REPORT_SHAPE, 'strip');

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: Problems };

function checked<T>(check: typeof recordCheck, value: unknown): Checked<T> {
  const problems: Problems = [];
  const kept = check(value, '', problems);
  return problems.length === 0 ? { ok: true, value: kept as T } : { ok: false, problems };
}

export function checkKillSwitchRecord(value: unknown): Checked<KillSwitchRecord> {
  return checked(recordCheck, value);
}

/** `strict`: what this version publishes; otherwise what a reader accepts. */
export function checkEngineReport(
  value: unknown,
  mode: 'strict' | 'readable',
): Checked<EngineReport> {
  return checked(mode === 'strict' ? reportCheck : readableReportCheck, value);
}

/**
 * A stored report, or, when it cannot be parsed, a placeholder that says so: an engine whose
 * report we cannot read is still an engine a kill must wait for (named by its key).
 */
export function readEngineReport(text: string, key: string): EngineReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return unreadableEngineReport(key, `not valid JSON (${text.length} bytes)`);
  }
  const parsed = checkEngineReport(json, 'readable');
  if (parsed.ok) return parsed.value;
  const engineId =
    typeof (json as { engineId?: unknown } | null)?.engineId === 'string'
      ? (json as { engineId: string }).engineId
      : key;
  return unreadableEngineReport(engineId, parsed.problems.join('; '));
}

export function unreadableEngineReport(engineId: string, problem: string): EngineReport {
  return {
    engineId,
    host: '',
    pid: 0,
    startedAt: new Date(0).toISOString(),
    reportedAt: 0,
    observedRevision: 0,
    observedAt: 0,
    enforcedState: 'SAFE',
    failClosed: false,
    stats: {},
    unreadable: problem,
  };
}

/** A report fit to publish, or ERR_STATE_WRITE_FAILED naming every problem: all stores refuse alike. */
export function validEngineReport(report: EngineReport): EngineReport {
  const parsed = checkEngineReport(report, 'strict');
  if (!parsed.ok) {
    throw new LivegateError(
      'ERR_STATE_WRITE_FAILED',
      `Refusing an invalid engine report: ${parsed.problems.join('; ')}`,
    );
  }
  return parsed.value;
}

// Live limits as `limits set` and the HTTP API change them: KEY=VALUE assignments over the
// config's own schema, the resulting record's diff, and whether it loosens anything.
// The monitor's side (`monitor.rules.*`) is judged in monitor-limits.ts.

import { isLivegateError, LivegateError } from '../../core/errors.js';
import { encodeInfinity, type LimitsDiffEntry, type LiveLimits } from '../../core/limits-record.js';
import { BUILT_IN_SYMBOL_LIMITS, defaultBurst } from '../pre-trade/resolved-limits.js';
import {
  validatePreTradeLimits,
  type LimitsIssue,
  type PreTradeLimits,
} from '../pre-trade/pre-trade-limits.js';
import {
  aggregateKeyLoosens,
  aggregateKeyTightens,
  aggregateLimitsOf,
  aggregatePath,
  aggregatesOfConfig,
} from './desk-limits.js';
import { monitorKeyLoosens, monitorKeyTightens, validateMonitorRules } from './monitor-limits.js';

export { monitorRulesOf } from './monitor-limits.js';

/**
 * One `KEY=VALUE`: a dotted path under `preTrade`, `monitor`, `desks` or `firm` and its value
 * (undefined: back to the default, or a monitor rule off).
 */
export interface LimitsAssignment {
  readonly key: string;
  readonly section: 'preTrade' | 'monitor' | 'desks' | 'firm';
  /**
   * Under the section: `['defaults', 'maxQuantity']`, `['rules', 'dailyLoss', 'limit']`,
   * `['fx', 'symbols', 'USDJPY', 'maxPosition']` (desks), `['grossExposure']` (firm).
   */
  readonly path: readonly string[];
  readonly value: unknown;
}

const OBJECT_INTERNALS = new Set(['__proto__', 'constructor', 'prototype']);

/** Limit fields where a lower value denies more. */
const TIGHTER_WHEN_LOWER = new Set([
  'maxQuantity',
  'maxOrderNotional',
  'maxPosition',
  'collarPercent',
  'collarTicks',
  'maxOrdersPerSecond',
  'burst',
  'maxGrossExposure',
  'maxOpenOrders',
]);
/** Limit fields where a higher value denies more. */
const TIGHTER_WHEN_HIGHER = new Set(['minQuantity', 'minOrderNotional', 'duplicateWindowMs']);

/** The live limits a config starts an engine with (before any stored revision). */
export function limitsOfConfig(
  preTrade: Readonly<Record<string, unknown>>,
  monitorRules?: Readonly<Record<string, unknown>>,
  aggregates?: {
    readonly desks: Readonly<Record<string, unknown>>;
    readonly firm: Readonly<Record<string, unknown>> | null;
  },
): LiveLimits {
  const limits = { ...preTrade };
  delete limits.enabled;
  const desksAndFirm =
    aggregates === undefined ? {} : aggregatesOfConfig(aggregates.desks, aggregates.firm);
  return monitorRules === undefined
    ? { preTrade: limits, ...desksAndFirm }
    : { preTrade: limits, monitor: { rules: structuredClone(monitorRules) }, ...desksAndFirm };
}

/** A config's live limits: risk.preTrade, risk.monitor.rules, risk.desks and risk.firm. */
export function liveLimitsOfRisk(risk: {
  readonly preTrade: Readonly<Record<string, unknown>>;
  readonly monitor: { readonly rules: Readonly<Record<string, unknown>> };
  readonly desks: Readonly<Record<string, unknown>>;
  readonly firm: Readonly<Record<string, unknown>> | null;
}): LiveLimits {
  return limitsOfConfig(risk.preTrade, risk.monitor.rules, risk);
}

/**
 * `preTrade.defaults.maxQuantity=5` (a leading `risk.` is accepted). Values: numbers, `Infinity`
 * (no limit), JSON (`["XAUUSD"]`), nothing after `=` to unset a key. Throws ERR_USAGE naming it.
 */
export function parseAssignment(text: string): LimitsAssignment {
  const equals = text.indexOf('=');
  if (equals <= 0) {
    throw new LivegateError('ERR_USAGE', `limits must be given as KEY=VALUE, got "${text}"`);
  }
  const key = text.slice(0, equals).replace(/^risk\./, '');
  const raw = text.slice(equals + 1).trim();
  const segments = key.split('.');
  // One check for every key, before any section's grammar: such a segment would walk onto
  // Object.prototype when the assignment is applied.
  const forbidden = segments.find((segment) => OBJECT_INTERNALS.has(segment));
  if (forbidden !== undefined) {
    throw new LivegateError('ERR_USAGE', `unknown limit "${key}": "${forbidden}" is not a key`);
  }
  if (segments[0] === 'monitor' && !segments.includes('')) {
    return { key, section: 'monitor', path: monitorPath(key, segments), value: parseValue(raw) };
  }
  const section = segments[0];
  if ((section === 'desks' || section === 'firm') && !segments.includes('')) {
    const path = aggregatePath(key, section, segments.slice(1));
    return { key, section, path, value: parseValue(raw) };
  }
  if (segments[0] !== 'preTrade' || segments.length < 2 || segments.includes('')) {
    throw new LivegateError(
      'ERR_USAGE',
      `unknown limit "${key}": live limits are under preTrade, monitor.rules, desks and firm (preTrade.defaults.maxQuantity, preTrade.symbols.EURUSD.maxPosition, monitor.rules.dailyLoss.limit, desks.fx.dailyLoss, firm.grossExposure...)`,
    );
  }
  let path = segments.slice(1);
  // A symbol name may contain dots (BRK.B): everything between `symbols.` and the field is the name.
  if (path[0] === 'symbols' && path.length > 3) {
    path = ['symbols', path.slice(1, -1).join('.'), path[path.length - 1]!];
  }
  if (path.includes('enabled')) {
    throw new LivegateError(
      'ERR_USAGE',
      `${key} cannot change while running (turning the chain on or off needs a restart)`,
    );
  }
  return { key, section: 'preTrade', path, value: parseValue(raw) };
}

/** `monitor.rules.<rule>` (the whole rule; empty turns it off) or `monitor.rules.<rule>.<field>`. */
function monitorPath(key: string, segments: readonly string[]): string[] {
  const path = segments.slice(1);
  if (path[0] !== 'rules') {
    throw new LivegateError(
      'ERR_USAGE',
      `${key} cannot change while running (of risk.monitor only the rules' limits are live; the rest needs a restart)`,
    );
  }
  if (path.length < 2 || path.length > 3) {
    throw new LivegateError(
      'ERR_USAGE',
      `unknown limit "${key}": monitor limits are monitor.rules.<rule> or monitor.rules.<rule>.<field> (monitor.rules.dailyLoss.limit)`,
    );
  }
  return path;
}

function parseValue(raw: string): unknown {
  if (raw === '') return undefined;
  if (raw === 'Infinity') return Infinity;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** The limits with every assignment applied, validated by the config's schema (ERR_USAGE if not). */
export function applyAssignments(
  current: LiveLimits,
  assignments: readonly LimitsAssignment[],
): LiveLimits {
  const preTrade = structuredClone(current.preTrade) as Record<string, unknown>;
  const monitor = structuredClone(current.monitor ?? { rules: {} }) as Record<string, unknown>;
  for (const { section, path, value } of assignments) {
    // Desk and firm limits are overrides only (limits-overrides.ts); this whole-set form predates them.
    if (section === 'desks' || section === 'firm') continue;
    setPath(section === 'preTrade' ? preTrade : monitor, path, value);
  }
  const touchesMonitor = assignments.some((assignment) => assignment.section === 'monitor');
  // Stored with the schema's defaults filled in, so a diff compares what the monitor enforces.
  const rules = touchesMonitor
    ? (validateMonitorRules(monitor.rules as Record<string, unknown>) as Record<string, unknown>)
    : (monitor.rules as Record<string, unknown>);
  validatePreTrade(preTrade);
  return current.monitor === undefined && !touchesMonitor
    ? { preTrade }
    : { preTrade, monitor: { rules } };
}

/** The limits as the config's schema checks them (ERR_USAGE naming every problem), rules filled in. */
export function validateLiveLimits(limits: LiveLimits): LiveLimits {
  validatePreTrade(limits.preTrade);
  aggregateLimitsOf(limits, 'ERR_USAGE');
  if (limits.monitor === undefined) return limits;
  const rules = validateMonitorRules(limits.monitor.rules) as Record<string, unknown>;
  return { ...limits, monitor: { rules } };
}

function validatePreTrade(preTrade: Readonly<Record<string, unknown>>): void {
  try {
    validatePreTradeLimits(preTrade);
  } catch (error) {
    if (!isLivegateError(error)) throw error;
    const issues = (error.details?.issues ?? []) as readonly LimitsIssue[];
    const lines = issues.map((issue) => `preTrade.${issue.path}: ${issue.message}`);
    throw new LivegateError('ERR_USAGE', `limits rejected: ${lines.join('; ')}`, {
      details: { issues: lines },
    });
  }
}

/** Whether the change of one key (`preTrade.…` or `monitor.rules.…`) lets more through. */
export function keyLoosens(key: string, before: LiveLimits, after: LiveLimits): boolean {
  const [section, ...rest] = key.split('.');
  if (section === 'desks' || section === 'firm') return aggregateKeyLoosens(key, before, after);
  if (section === 'monitor') {
    return monitorKeyLoosens(
      rest.join('.'),
      before.monitor?.rules ?? {},
      after.monitor?.rules ?? {},
    );
  }
  return loosens(rest.join('.'), before.preTrade, after.preTrade);
}

/**
 * Whether the change of one key (`preTrade.…` or `monitor.rules.…`) between the writer's limits
 * before and after denies strictly more there: a lower maximum, a higher minimum, more restricted
 * symbols, a stronger rule. Unchanged, looser or without a direction: false.
 */
export function keyTightens(key: string, before: LiveLimits, after: LiveLimits): boolean {
  const [section, ...rest] = key.split('.');
  if (section === 'desks' || section === 'firm') return aggregateKeyTightens(key, before, after);
  if (section === 'monitor') {
    return monitorKeyTightens(
      rest.join('.'),
      before.monitor?.rules ?? {},
      after.monitor?.rules ?? {},
    );
  }
  const path = splitKey(rest.join('.'));
  if (loosens(rest.join('.'), before.preTrade, after.preTrade)) return false;
  if (path[0] === 'restrictedSymbols') {
    return (
      asStrings(after.preTrade.restrictedSymbols).length >
      asStrings(before.preTrade.restrictedSymbols).length
    );
  }
  const field = path[path.length - 1]!;
  const symbol = path[0] === 'symbols' ? path[1] : undefined;
  if (!TIGHTER_WHEN_LOWER.has(field) && !TIGHTER_WHEN_HIGHER.has(field)) return false;
  return (
    effective(before.preTrade, path, field, symbol) !==
    effective(after.preTrade, path, field, symbol)
  );
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

/** Every changed value, each marked when it loosens; a symbol newly tradable loosens too. */
export function diffLimits(before: LiveLimits, after: LiveLimits): LimitsDiffEntry[] {
  const entries = diffSection('preTrade', before.preTrade, after.preTrade, (key) =>
    loosens(key, before.preTrade, after.preTrade),
  );
  if (before.monitor === undefined && after.monitor === undefined) return entries;
  const rulesBefore = { rules: before.monitor?.rules ?? {} };
  const rulesAfter = { rules: after.monitor?.rules ?? {} };
  return entries.concat(
    diffSection('monitor', rulesBefore, rulesAfter, (key) =>
      monitorKeyLoosens(key, rulesBefore.rules, rulesAfter.rules),
    ),
  );
}

function diffSection(
  section: string,
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
  loosensKey: (key: string) => boolean,
): LimitsDiffEntry[] {
  const from = flatten(before);
  const to = flatten(after);
  const keys = [...new Set([...from.keys(), ...to.keys()])].sort();
  const entries: LimitsDiffEntry[] = [];
  for (const key of keys) {
    const a = from.get(key);
    const b = to.get(key);
    if (JSON.stringify(encodeInfinity(a)) === JSON.stringify(encodeInfinity(b))) continue;
    entries.push({
      key: `${section}.${key}`,
      ...(a === undefined ? {} : { from: a }),
      ...(b === undefined ? {} : { to: b }),
      loosens: loosensKey(key),
    });
  }
  return entries;
}

/** Leaves by dotted key; arrays and empty objects are leaves (a symbol listed with no own limits). */
function flatten(value: Readonly<Record<string, unknown>>, prefix = ''): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  for (const [key, child] of Object.entries(value)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const nested =
      typeof child === 'object' && child !== null && !Array.isArray(child)
        ? (child as Record<string, unknown>)
        : undefined;
    if (nested !== undefined && Object.keys(nested).length > 0) {
      for (const [leaf, inner] of flatten(nested, path)) leaves.set(leaf, inner);
    } else {
      leaves.set(path, child);
    }
  }
  return leaves;
}

function loosens(key: string, before: PreTradeView, after: PreTradeView): boolean {
  const path = splitKey(key);
  if (path[0] === 'restrictedSymbols') {
    const kept = new Set(asStrings(after.restrictedSymbols));
    return asStrings(before.restrictedSymbols).some((symbol) => !kept.has(symbol));
  }
  if (path[0] === 'symbols' && newlyTradable(path[1], before, after)) return true;
  const field = path[path.length - 1]!;
  const symbol = path[0] === 'symbols' ? path[1] : undefined;
  const old = effective(before, path, field, symbol);
  const now = effective(after, path, field, symbol);
  if (TIGHTER_WHEN_LOWER.has(field)) return now > old;
  if (TIGHTER_WHEN_HIGHER.has(field)) return now < old;
  // lotSize, tickSize and anything else: no clear direction, so any change needs admin.
  return true;
}

type PreTradeView = Readonly<Record<string, unknown>>;

/** A symbol the chain denied as unknown before (listed symbols only) that it now knows. */
function newlyTradable(symbol: string | undefined, before: PreTradeView, after: PreTradeView) {
  const listedBefore = symbolsOf(before);
  const listedAfter = symbolsOf(after);
  if (listedAfter.length === 0) return listedBefore.length > 0;
  return symbol !== undefined && listedBefore.length > 0 && !listedBefore.includes(symbol);
}

function symbolsOf(preTrade: PreTradeView): string[] {
  const symbols = preTrade.symbols;
  return typeof symbols === 'object' && symbols !== null ? Object.keys(symbols) : [];
}

/** The value the chain would use: own, else `defaults`, else the built-in default. */
function effective(
  preTrade: PreTradeView,
  path: readonly string[],
  field: string,
  symbol: string | undefined,
): number {
  const lookup = (...keys: string[]): unknown =>
    keys.reduce<unknown>(
      (node, k) =>
        typeof node === 'object' && node !== null
          ? (node as Record<string, unknown>)[k]
          : undefined,
      preTrade,
    );
  const own = lookup(...path);
  if (typeof own === 'number') return own;
  if (field === 'burst') {
    // An unset burst is not unlimited: the chain enforces max(1, rate) at the same scope.
    const fallback = symbol === undefined ? undefined : lookup('defaults', field);
    if (typeof fallback === 'number') return fallback;
    const ratePath = [...path.slice(0, -1), 'maxOrdersPerSecond'];
    return defaultBurst(effective(preTrade, ratePath, 'maxOrdersPerSecond', symbol));
  }
  if (symbol !== undefined || path[0] === 'defaults') {
    const fallback = lookup('defaults', field);
    if (symbol !== undefined && typeof fallback === 'number') return fallback;
    const builtIn = (BUILT_IN_SYMBOL_LIMITS as Readonly<Record<string, number>>)[field];
    if (builtIn !== undefined) return builtIn;
  }
  return TIGHTER_WHEN_HIGHER.has(field) ? 0 : Infinity;
}

function splitKey(key: string): string[] {
  const segments = key.split('.');
  if (segments[0] === 'symbols' && segments.length > 3) {
    return ['symbols', segments.slice(1, -1).join('.'), segments[segments.length - 1]!];
  }
  return segments;
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The record's pre-trade limits, checked as the config's are (ERR_CONFIG_INVALID if not). */
export function preTradeLimitsOf(limits: LiveLimits): PreTradeLimits {
  return validatePreTradeLimits(limits.preTrade);
}

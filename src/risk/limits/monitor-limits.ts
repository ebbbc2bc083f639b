// The risk monitor's rules as live limits: validated by the config's own rule schema, and what
// loosens a rule (it trips later, acts less, or no longer exists).

import { LivegateError } from '../../core/errors.js';
import type { LiveLimits } from '../../core/limits-record.js';
import { riskRulesSchema, type ResolvedRules } from '../monitor/risk-monitor-options.js';

type Rules = Readonly<Record<string, unknown>>;
type RuleValues = Readonly<Record<string, unknown>>;

/** Fields where a higher value trips later (or needs more samples first). */
const LOOSER_WHEN_HIGHER = new Set(['limit', 'limitMs', 'limitMicros', 'minOrders']);
/** Count rules: the same count within a shorter window trips later. */
const COUNTED_IN_WINDOW = new Set(['orderRate', 'feedGaps', 'reconciliation']);
const ACTION_STRENGTH: Readonly<Record<string, number>> = { alert: 0, reduce: 1, engage: 2 };

/** The rules with defaults filled in; throws ERR_USAGE naming every bad `monitor.rules.*` key. */
export function validateMonitorRules(rules: Rules): ResolvedRules {
  const parsed = riskRulesSchema.safeParse(rules);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const where = ['monitor.rules', ...issue.path.map(String)].join('.');
    const message =
      issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.join(', ')}` : issue.message;
    return `${where}: ${message}`;
  });
  throw new LivegateError('ERR_USAGE', `limits rejected: ${lines.join('; ')}`, {
    details: { issues: lines },
  });
}

/** The record's monitor rules, validated; undefined: the record leaves them to each engine's config. */
export function monitorRulesOf(limits: LiveLimits): ResolvedRules | undefined {
  if (limits.monitor === undefined) return undefined;
  const parsed = riskRulesSchema.safeParse(limits.monitor.rules);
  if (parsed.success) return parsed.data;
  throw new LivegateError(
    'ERR_CONFIG_INVALID',
    `limits record monitor.rules is invalid: ${parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(rules)'}: ${issue.message}`)
      .join('; ')}`,
  );
}

/**
 * Whether changing `rules.<rule>.<field>` (the diff's key without `monitor.`) loosens: compared on
 * the rules as the monitor reads them (defaults filled), so an unset action counts as `engage`.
 */
export function monitorKeyLoosens(key: string, before: Rules, after: Rules): boolean {
  const [, rule, field] = key.split('.');
  if (rule === undefined) return true;
  const old = resolvedRule(before, rule);
  const now = resolvedRule(after, rule);
  if (now === undefined) return old !== undefined; // disabled
  if (old === undefined) return false; // a new rule only adds trips
  return fieldLoosens(rule, field ?? '', old[field ?? ''], now[field ?? '']);
}

/**
 * Whether changing `rules.<rule>[.<field>]` denies strictly more: judged per field (defaults
 * filled), so a field equal to before does not pass as tightening beside a changed one.
 */
export function monitorKeyTightens(key: string, before: Rules, after: Rules): boolean {
  const [, rule, field] = key.split('.');
  if (rule === undefined) return false;
  const old = resolvedRule(before, rule);
  const now = resolvedRule(after, rule);
  if (now === undefined) return false; // disabled
  if (old === undefined) return true; // a new rule only adds trips
  if (field === undefined) {
    return JSON.stringify(old) !== JSON.stringify(now) && !monitorKeyLoosens(key, before, after);
  }
  if (JSON.stringify(old[field]) === JSON.stringify(now[field])) return false;
  return !fieldLoosens(rule, field, old[field], now[field]);
}

function fieldLoosens(rule: string, field: string, old: unknown, now: unknown): boolean {
  if (field === 'action') {
    return (ACTION_STRENGTH[String(now)] ?? 0) < (ACTION_STRENGTH[String(old)] ?? 0);
  }
  if (field === 'perSymbol') return old === true && now !== true;
  if (typeof old !== 'number' || typeof now !== 'number') return true;
  if (LOOSER_WHEN_HIGHER.has(field)) return now > old;
  if (field === 'windowMs' && COUNTED_IN_WINDOW.has(rule)) return now < old;
  // A reject ratio's or a p99's window: no clear direction, so any change needs admin.
  return true;
}

/** One rule as the monitor would read it; undefined when absent (or unreadable: compared as off). */
function resolvedRule(rules: Rules, rule: string): RuleValues | undefined {
  const parsed = riskRulesSchema.safeParse({ [rule]: rules[rule] });
  if (!parsed.success) return undefined;
  return (parsed.data as Readonly<Record<string, RuleValues | undefined>>)[rule];
}

// Monitor rule overrides stored with every field their schema requires: every later revision
// carries each override, so one invalid over some engine's config (an orderRate without its
// `limit`, over a config with no orderRate) would block every later revision there.

import * as z from 'zod';
import { LivegateError } from '../../core/errors.js';
import type { LiveLimits } from '../../core/limits-record.js';
import { riskRulesSchema } from '../monitor/risk-monitor-options.js';
import { isTree, removesOverride, type Tree } from './limits-overrides.js';
import type { LimitsAssignment } from './live-limits.js';

/** Per rule, its fields and those with no schema default (read from the schema, so none is missed). */
const RULE_FIELDS: ReadonlyMap<string, { all: readonly string[]; required: readonly string[] }> =
  new Map(
    Object.entries(riskRulesSchema.shape).map(([rule, optional]) => {
      const shape = (optional as z.ZodOptional<z.ZodObject>).unwrap().shape;
      const fields = Object.entries(shape);
      return [
        rule,
        {
          all: fields.map(([field]) => field),
          required: fields
            .filter(([, schema]) => !(schema as z.ZodType).safeParse(undefined).success)
            .map(([field]) => field),
        },
      ];
    }),
  );

/** The fields `monitor.rules.<rule>` needs before it is valid over a config without that rule. */
export function requiredRuleFields(rule: string): readonly string[] {
  return RULE_FIELDS.get(rule)?.required ?? [];
}

/**
 * The overrides with each monitor rule override holding every required field: one missing takes
 * the value the writer enforces (the rule in force after the latest revision, else the writer's
 * config rule); removing a required field removes the whole rule override (back to each engine's
 * config). With no value known the change is refused: ERR_USAGE. Fields with a schema default
 * (`action`, `staleFeed.perSymbol`, `latencyP99.minOrders`) are not filled: imposing the writer's
 * on engines with their own would change them unasked.
 */
export function wholeMonitorRules(
  overrides: LiveLimits,
  before: LiveLimits,
  config: LiveLimits,
  assignments: readonly LimitsAssignment[],
): LiveLimits {
  if (overrides.monitor === undefined) return overrides;
  const rules = structuredClone(overrides.monitor.rules) as Tree;
  // Only the rules this change writes: an unrelated change (an emergency tightening) is not held
  // up by a rule an older writer stored part of.
  const touched = new Set(assignments.filter((a) => a.section === 'monitor').map((a) => a.path[1]));
  for (const [rule, value] of Object.entries(rules)) {
    const fields = RULE_FIELDS.get(rule);
    if (!touched.has(rule)) continue;
    // A rule turned off (null), an unknown rule or a misspelt field is left for the schema to name.
    if (fields === undefined || !isTree(value)) continue;
    if (Object.keys(value).some((field) => !fields.all.includes(field))) continue;
    const missing = fields.required.filter((field) => !Object.hasOwn(value, field));
    if (missing.length === 0) continue;
    if (missing.some((field) => removesOverride(assignments, 'monitor', ['rules', rule, field]))) {
      delete rules[rule];
      continue;
    }
    rules[rule] = { ...knownValues(rule, missing, before, config), ...value };
  }
  return { ...overrides, monitor: { rules } };
}

function knownValues(
  rule: string,
  missing: readonly string[],
  before: LiveLimits,
  config: LiveLimits,
): Tree {
  const inForce = before.monitor?.rules[rule];
  const configured = config.monitor?.rules[rule];
  const filled: Tree = {};
  for (const field of missing) {
    const known = [inForce, configured]
      .map((source) => (isTree(source) ? source[field] : undefined))
      .find((candidate) => candidate !== undefined);
    if (known === undefined) throw wholeRuleNeeded(rule, field);
    filled[field] = known;
  }
  return filled;
}

function wholeRuleNeeded(rule: string, field: string): LivegateError {
  const example = `{${requiredRuleFields(rule)
    .map((name) => `"${name}":N`)
    .join(',')}}`;
  return new LivegateError(
    'ERR_USAGE',
    `monitor.rules.${rule} has no ${field} in this config or in the overrides, and one without it is invalid wherever the config has no ${rule} rule: set monitor.rules.${rule} as a whole: ${example}`,
    { details: { key: `monitor.rules.${rule}` } },
  );
}

// Live limits as per-key overrides: a revision holds only the keys `limits set` ever set (each
// revision carries them all), and every engine lays them over its own config. Engines with
// different configs keep what nobody overrode. A record from before overrides (no `overrides`
// flag) is a whole set and replaces the config, as it did when it was written.

import type { LimitsRecord, LiveLimits } from '../../core/limits-record.js';
import type { LimitsAssignment } from './live-limits.js';

export type Tree = Record<string, unknown>;

/** No key overridden: every engine enforces its config. */
export const NO_OVERRIDES: LiveLimits = Object.freeze({ preTrade: {} });

/**
 * The overrides a record holds. A whole set (older writers) counts as an override of every value
 * it holds, so the next revision written over it keeps them all.
 */
export function overridesOf(record: LimitsRecord | null | undefined): LiveLimits {
  return record?.limits ?? NO_OVERRIDES;
}

/** The limits an engine with `config` enforces under `record` (none: its config). */
export function limitsInForce(
  record: LimitsRecord | null | undefined,
  config: LiveLimits,
): LiveLimits {
  if (record === null || record === undefined) return config;
  if (record.overrides === true) return mergeOverrides(config, record.limits);
  // A whole set: it replaces the config; one without monitor rules left them to the config, and
  // none holds desk or firm limits (written before they were live).
  const stored = { ...record.limits, ...desksAndFirm(config) };
  if (stored.monitor !== undefined || config.monitor === undefined) return stored;
  return { ...stored, monitor: config.monitor };
}

function desksAndFirm(limits: LiveLimits): Pick<LiveLimits, 'desks' | 'firm'> {
  return {
    ...(limits.desks === undefined ? {} : { desks: limits.desks }),
    ...(limits.firm === undefined ? {} : { firm: limits.firm }),
  };
}

/**
 * The config with every override laid over it, leaf by leaf. A monitor rule overridden with null
 * is off; a rule's fields merge over the config's rule of that name (or stand alone).
 */
export function mergeOverrides(config: LiveLimits, overrides: LiveLimits): LiveLimits {
  const preTrade = mergeTrees(config.preTrade, overrides.preTrade);
  const aggregates = desksAndFirm({
    preTrade,
    ...mergedBranch('desks', config.desks, overrides.desks),
    ...mergedBranch('firm', config.firm, overrides.firm),
  });
  if (overrides.monitor === undefined) {
    return config.monitor === undefined
      ? { preTrade, ...aggregates }
      : { preTrade, monitor: config.monitor, ...aggregates };
  }
  const rules = structuredClone(config.monitor?.rules ?? {}) as Tree;
  for (const [rule, value] of Object.entries(overrides.monitor.rules)) {
    if (value === null) delete rules[rule];
    else rules[rule] = mergeTrees(asTree(rules[rule]), asTree(value));
  }
  return { preTrade, monitor: { rules }, ...aggregates };
}

/** A desk or firm branch: the override's leaves over the config's (Infinity: no limit, later). */
function mergedBranch(
  key: 'desks' | 'firm',
  config: Readonly<Tree> | undefined,
  over: Readonly<Tree> | undefined,
): Partial<Record<'desks' | 'firm', Tree>> {
  if (over === undefined) return config === undefined ? {} : { [key]: config };
  return { [key]: mergeTrees(config ?? {}, over) };
}

/**
 * The overrides after `assignments`: a value sets the key's override; an empty value removes it
 * (back to each engine's config), except a whole monitor rule, which an empty value turns off.
 */
export function applyOverrideAssignments(
  overrides: LiveLimits,
  assignments: readonly LimitsAssignment[],
): LiveLimits {
  const preTrade = structuredClone(overrides.preTrade) as Tree;
  const rules = structuredClone(overrides.monitor?.rules ?? {}) as Tree;
  const desks = structuredClone(overrides.desks ?? {}) as Tree;
  const firm = structuredClone(overrides.firm ?? {}) as Tree;
  for (const { section, path, value } of assignments) {
    if (section === 'preTrade') {
      setOrRemove(preTrade, path, value);
    } else if (section === 'desks') {
      setOrRemove(desks, path, value);
    } else if (section === 'firm') {
      setOrRemove(firm, path, value);
    } else if (path.length === 2) {
      rules[path[1]!] = value === undefined ? null : value;
    } else {
      // A field of a rule turned off by an override starts that rule again from this field.
      if (rules[path[1]!] === null) delete rules[path[1]!];
      setOrRemove(rules, path.slice(1), value);
    }
  }
  const touchesMonitor = overrides.monitor !== undefined || Object.keys(rules).length > 0;
  // Left out when empty: a record without them stays readable by engines older than desk limits.
  const aggregates = {
    ...(Object.keys(desks).length === 0 ? {} : { desks }),
    ...(Object.keys(firm).length === 0 ? {} : { firm }),
  };
  return touchesMonitor
    ? { preTrade, monitor: { rules }, ...aggregates }
    : { preTrade, ...aggregates };
}

/** Dotted keys (`preTrade.defaults.maxQuantity`, `monitor.rules.dailyLoss`) of every override. */
export function overrideKeys(overrides: LiveLimits): string[] {
  const keys = leafKeys(overrides.preTrade, 'preTrade');
  for (const [rule, value] of Object.entries(overrides.monitor?.rules ?? {})) {
    if (value === null || typeof value !== 'object') keys.push(`monitor.rules.${rule}`);
    else keys.push(...leafKeys(value as Tree, `monitor.rules.${rule}`));
  }
  keys.push(...leafKeys(overrides.desks ?? {}, 'desks'), ...leafKeys(overrides.firm ?? {}, 'firm'));
  return keys;
}

function leafKeys(tree: Readonly<Tree>, prefix: string): string[] {
  const keys: string[] = [];
  for (const [key, value] of Object.entries(tree)) {
    const path = `${prefix}.${key}`;
    const nested = asTree(value);
    if (isTree(value) && Object.keys(nested).length > 0) keys.push(...leafKeys(nested, path));
    else keys.push(path);
  }
  return keys;
}

function mergeTrees(base: Readonly<Tree>, over: Readonly<Tree>): Tree {
  const merged = structuredClone(base) as Tree;
  for (const [key, value] of Object.entries(over)) {
    const inner = Object.hasOwn(merged, key) ? merged[key] : undefined;
    merged[key] =
      isTree(value) && isTree(inner) && Object.keys(value).length > 0
        ? mergeTrees(inner, value)
        : structuredClone(value);
  }
  return merged;
}

function setOrRemove(target: Tree, path: readonly string[], value: unknown): void {
  if (value === undefined) {
    removePath(target, path);
    return;
  }
  let node = target;
  for (const segment of path.slice(0, -1)) {
    if (!Object.hasOwn(node, segment) || !isTree(node[segment])) node[segment] = {};
    node = node[segment] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

/** Removes the leaf and every parent it leaves empty. */
function removePath(target: Tree, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(target, head)) return;
  if (rest.length === 0) {
    delete target[head];
    return;
  }
  const child = target[head];
  if (!isTree(child)) return;
  removePath(child, rest);
  if (Object.keys(child).length === 0) delete target[head];
}

export function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `assignments` remove the override at exactly `path` of `section` (an empty value). */
export function removesOverride(
  assignments: readonly LimitsAssignment[],
  section: LimitsAssignment['section'],
  path: readonly string[],
): boolean {
  const target = JSON.stringify(path);
  return assignments.some(
    (a) => a.section === section && a.value === undefined && JSON.stringify(a.path) === target,
  );
}

function asTree(value: unknown): Tree {
  return isTree(value) ? value : {};
}

// Desk and firm limits (`risk.desks`, `risk.firm`) as live limits: their keys, the config's own
// schema, and what loosens one (every such limit is a maximum: a higher or removed one loosens).

import * as z from 'zod';
import { LivegateError, type ErrorCode } from '../../core/errors.js';
import type { LiveLimits } from '../../core/limits-record.js';
import {
  aggregateLimitsSchema,
  deskNameSchema,
  type AggregateLimits,
} from '../guard/aggregate-limits.js';

type Tree = Record<string, unknown>;

/** A desk's (and the firm's) fields, as the config spells them. */
const AGGREGATE_FIELDS = new Set([
  'dailyLoss',
  'drawdown',
  'grossExposure',
  'maxPosition',
  'symbols',
  'orderRate',
]);

/** The desk and firm limits an engine or the guard holds, validated and without `Infinity` leaves. */
export interface AggregateLimitsInForce {
  readonly desks: Readonly<Record<string, AggregateLimits>>;
  readonly firm: AggregateLimits | null;
}

/**
 * The path under the section of `desks.<desk>.<field>` or `firm.<field>` (segments after the
 * section): `['fx', 'symbols', 'USDJPY', 'maxPosition']`. Desk and symbol names may hold dots, so
 * the desk ends at the first segment that is a field. Throws ERR_USAGE naming the key.
 */
export function aggregatePath(
  key: string,
  section: 'desks' | 'firm',
  segments: readonly string[],
): string[] {
  if (section === 'firm') return fieldPath(key, segments);
  const field = segments.findIndex((segment, index) => index > 0 && AGGREGATE_FIELDS.has(segment));
  if (field < 0) throw unknownKey(key);
  return [segments.slice(0, field).join('.'), ...fieldPath(key, segments.slice(field))];
}

function fieldPath(key: string, segments: readonly string[]): string[] {
  const [field, ...rest] = segments;
  if (field === undefined || !AGGREGATE_FIELDS.has(field)) throw unknownKey(key);
  if (field === 'symbols') {
    if (rest.length < 2) throw unknownKey(key);
    return ['symbols', rest.slice(0, -1).join('.'), rest[rest.length - 1]!];
  }
  if (field === 'orderRate' ? rest.length > 1 : rest.length > 0) throw unknownKey(key);
  return [field, ...rest];
}

function unknownKey(key: string): LivegateError {
  return new LivegateError(
    'ERR_USAGE',
    `unknown limit "${key}": desk and firm limits are desks.<desk>.<field> or firm.<field>, fields ${[...AGGREGATE_FIELDS].join(', ')} (desks.fx.dailyLoss, desks.fx.symbols.USDJPY.maxPosition, desks.fx.orderRate.limit, firm.grossExposure)`,
  );
}

/** `desks.fx.symbols.BRK.B.maxPosition` → `['desks', 'fx', 'symbols', 'BRK.B', 'maxPosition']`. */
export function aggregateKeyPath(key: string): string[] {
  const [section, ...segments] = key.split('.');
  if (section !== 'desks' && section !== 'firm') return [];
  return [section, ...aggregatePath(key, section, segments)];
}

/** The limits of a config's `risk.desks` / `risk.firm` as live limits (empty: left out). */
export function aggregatesOfConfig(desks: Readonly<Tree>, firm: Readonly<Tree> | null): Tree {
  return {
    ...(Object.keys(desks).length === 0 ? {} : { desks: structuredClone(desks) }),
    ...(firm === null ? {} : { firm: structuredClone(firm) }),
  };
}

/**
 * The desk and firm limits in force, checked by the config's schema: an `Infinity` override
 * removes a limit, and a desk (or firm) left with none has none. Throws `code` naming every key.
 */
export function aggregateLimitsOf(
  limits: LiveLimits,
  code: ErrorCode = 'ERR_CONFIG_INVALID',
): AggregateLimitsInForce {
  const desks: Tree = {};
  for (const [desk, tree] of Object.entries(limits.desks ?? {})) {
    const limited = limitedOnly(tree);
    if (limited !== undefined) desks[desk] = limited;
  }
  const firm = limits.firm === undefined ? undefined : limitedOnly(limits.firm);
  const parsed = z
    .strictObject({
      desks: z.record(deskNameSchema, aggregateLimitsSchema),
      firm: aggregateLimitsSchema.nullable(),
    })
    .safeParse({ desks, firm: firm ?? null });
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const where = issue.path.map(String).join('.');
    const message =
      issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.join(', ')}` : issue.message;
    return `${where}: ${message}`;
  });
  throw new LivegateError(code, `limits rejected: ${lines.join('; ')}`, {
    details: { issues: lines },
  });
}

/** The tree without `Infinity` leaves (no limit) and what they leave empty; undefined if nothing. */
function limitedOnly(value: unknown): Tree | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    // Not a desk's limits: left for the schema to name.
    return value === undefined ? undefined : (value as Tree);
  }
  const kept: Tree = {};
  for (const [key, child] of Object.entries(value as Tree)) {
    if (child === Infinity) continue;
    // An order rate whose limit is removed is no limit (its window alone limits nothing).
    if (key === 'orderRate' && (child as Tree | null)?.limit === Infinity) continue;
    const nested =
      typeof child === 'object' && child !== null && !Array.isArray(child)
        ? limitedOnly(child)
        : child;
    if (nested !== undefined) kept[key] = nested;
  }
  return Object.keys(kept).length === 0 ? undefined : kept;
}

/**
 * Whether the change of `desks.…` / `firm.…` lets more through: a higher or removed maximum.
 * An order rate's window has no clear direction: any change needs admin.
 */
export function aggregateKeyLoosens(key: string, before: LiveLimits, after: LiveLimits): boolean {
  const path = aggregateKeyPath(key);
  if (path[path.length - 1] === 'windowMs') return true;
  return effective(after, path) > effective(before, path);
}

/** Whether it denies strictly more: a lower maximum, or one where there was none. */
export function aggregateKeyTightens(key: string, before: LiveLimits, after: LiveLimits): boolean {
  const path = aggregateKeyPath(key);
  if (path[path.length - 1] === 'windowMs') return false;
  return effective(after, path) < effective(before, path);
}

/**
 * Whether the writer's config itself holds the limit `desks.…` / `firm.…` names (a number there).
 * A first override of a field the config lacks cannot be judged tighter: the engines' and guards'
 * own configs may hold a tighter one the writer cannot see.
 */
export function configHoldsAggregateKey(config: LiveLimits, key: string): boolean {
  const [section, ...rest] = aggregateKeyPath(key);
  if (section === undefined) return false;
  const root: unknown = section === 'firm' ? config.firm : config.desks?.[rest.shift() ?? ''];
  return typeof valueAt(root, rest) === 'number';
}

/** The limit a path enforces: its own value, a symbol's the desk's maxPosition, else none. */
function effective(limits: LiveLimits, path: readonly string[]): number {
  const [section, ...rest] = path;
  const root: unknown = section === 'firm' ? limits.firm : limits.desks?.[rest.shift() ?? ''];
  const own = valueAt(root, rest);
  if (typeof own === 'number') return own;
  if (rest[0] === 'symbols') {
    const desk = valueAt(root, ['maxPosition']);
    if (typeof desk === 'number') return desk;
  }
  // A whole `orderRate` (JSON): its limit.
  if (rest.length === 1 && rest[0] === 'orderRate') {
    const limit = valueAt(root, ['orderRate', 'limit']);
    if (typeof limit === 'number') return limit;
  }
  return Infinity;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, segment))
      return undefined;
    node = (node as Tree)[segment];
  }
  return node;
}

// Gate 2's options: their shape, and one validation that lists every problem by dotted path.

import * as z from 'zod';
import { LivegateError } from '../../core/errors.js';
import { isMultipleOf } from './float-grid.js';
import { describeInput } from '../../core/describe-input.js';

/** Per-symbol limits; anything missing comes from `defaults`, then from the built-in defaults. */
export interface SymbolLimits {
  /** Quantity must be a multiple (default 1). */
  lotSize?: number;
  /** Default: the lot size. */
  minQuantity?: number;
  /** Default 1,000,000. */
  maxQuantity?: number;
  /** A limit price must be on this grid (default 0.00001). */
  tickSize?: number;
  /** quantity × price, the mid for market orders (default Infinity). */
  maxOrderNotional?: number;
  /** quantity × price must reach this (a venue's minimum order value; default 0 = off). */
  minOrderNotional?: number;
  /** |position after the order| (default Infinity). */
  maxPosition?: number;
  /** Limit price distance from the mid, in % (default 5; Infinity turns the collar off). */
  collarPercent?: number;
  /** Extra bound in ticks from the mid (default off); with both, both apply. */
  collarTicks?: number;
  /** Per-symbol token bucket rate (default Infinity = off). */
  maxOrdersPerSecond?: number;
  /** Per-symbol bucket size (default max(1, maxOrdersPerSecond)). */
  burst?: number;
}

export interface PreTradeLimits {
  defaults?: SymbolLimits;
  /** When non-empty, only these symbols are known; others get UNKNOWN_INSTRUMENT. */
  symbols?: Record<string, SymbolLimits>;
  restrictedSymbols?: string[];
  /** Σ |position| × mid over symbols, this order included (default Infinity). */
  maxGrossExposure?: number;
  /** Default Infinity. */
  maxOpenOrders?: number;
  /** Engine-wide token bucket rate (default Infinity = off). */
  maxOrdersPerSecond?: number;
  burst?: number;
  /** Same symbol/side/quantity/price as the last accepted order within N ms is denied (0 = off). */
  duplicateWindowMs?: number;
}

/** A positive finite number, or Infinity where Infinity means "no limit". */
const positive = () => z.number().gt(0);
const limitOrOff = (minimum: 'positive' | 'non-negative') =>
  z.union([minimum === 'positive' ? positive() : z.number().min(0), z.literal(Infinity)], {
    error: (issue) =>
      `must be a number ${minimum === 'positive' ? '> 0' : '>= 0'} or Infinity (no limit), received ${describeInput(issue.input)}`,
  });
const burst = () => z.number().min(1);

const symbolLimitsSchema = z.strictObject({
  lotSize: positive().optional(),
  minQuantity: positive().optional(),
  maxQuantity: limitOrOff('positive').optional(),
  tickSize: positive().optional(),
  maxOrderNotional: limitOrOff('positive').optional(),
  minOrderNotional: z.number().min(0).optional(),
  maxPosition: limitOrOff('non-negative').optional(),
  collarPercent: limitOrOff('positive').optional(),
  collarTicks: limitOrOff('positive').optional(),
  maxOrdersPerSecond: limitOrOff('positive').optional(),
  burst: burst().optional(),
});

export const preTradeLimitsSchema = z.strictObject({
  defaults: symbolLimitsSchema.optional(),
  symbols: z.record(z.string().min(1), symbolLimitsSchema).optional(),
  restrictedSymbols: z.array(z.string().min(1)).optional(),
  maxGrossExposure: limitOrOff('positive').optional(),
  maxOpenOrders: z
    .union([z.number().int().min(1), z.literal(Infinity)], {
      error: (issue) =>
        `must be an integer >= 1 or Infinity (no limit), received ${describeInput(issue.input)}`,
    })
    .optional(),
  maxOrdersPerSecond: limitOrOff('positive').optional(),
  burst: burst().optional(),
  duplicateWindowMs: z.number().min(0).optional(),
});

export interface LimitsIssue {
  /** Dotted, with indices and odd keys in brackets: `symbols.EURUSD.lotSize`, `symbols["BRK.B"]`. */
  readonly path: string;
  readonly message: string;
}

/** Returns the limits typed, or throws ERR_CONFIG_INVALID listing every problem at once. */
export function validatePreTradeLimits(input: unknown): PreTradeLimits {
  const result = preTradeLimitsSchema.safeParse(input, { error: describeIssue });
  const issues: LimitsIssue[] = result.success ? [] : result.error.issues.flatMap(toLimitsIssues);
  issues.push(...consistencyIssues(input));
  if (issues.length === 0 && result.success) return result.data;
  const lines = issues.map((issue) => `${issue.path}: ${issue.message}`);
  throw new LivegateError(
    'ERR_CONFIG_INVALID',
    `invalid pre-trade limits (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}):\n${lines.join('\n')}`,
    { details: { issues } },
  );
}

/**
 * Problems between fields, found on the merged per-symbol view, read leniently from the raw input
 * so they are listed alongside shape problems instead of after the shape is fixed.
 */
function consistencyIssues(input: unknown): LimitsIssue[] {
  if (!isRecord(input)) return [];
  const defaults = isRecord(input.defaults) ? numberFields(input.defaults) : {};
  const issues: LimitsIssue[] = [];
  const inspect = (own: Record<string, number>, path: (string | number)[]): void => {
    const merged = { ...defaults, ...own };
    const lot = merged.lotSize ?? 1;
    const min = merged.minQuantity;
    const max = merged.maxQuantity ?? 1_000_000;
    // A symbol repeats a problem of `defaults` only when one of its own fields is involved.
    const mentions = (...keys: string[]): boolean => keys.some((key) => key in own);
    const at = formatPath([...path, 'minQuantity']);
    if (min === undefined || !Number.isFinite(min)) return;
    const received = `received ${min}${'minQuantity' in own ? '' : ' from defaults'}`;
    if (min > max && mentions('minQuantity', 'maxQuantity')) {
      issues.push({ path: at, message: `must be <= maxQuantity (${max}), ${received}` });
    }
    if (!isMultipleOf(min, lot) && mentions('minQuantity', 'lotSize')) {
      issues.push({ path: at, message: `must be a multiple of lotSize (${lot}), ${received}` });
    }
  };
  inspect(defaults, ['defaults']);
  if (isRecord(input.symbols)) {
    for (const [symbol, own] of Object.entries(input.symbols)) {
      if (isRecord(own)) inspect(numberFields(own), ['symbols', symbol]);
    }
  }
  return issues;
}

/** The fields that are usable numbers; the schema reports the others. */
function numberFields(record: Record<string, unknown>): Record<string, number> {
  const numbers: Record<string, number> = {};
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'number' && value > 0) numbers[key] = value;
  }
  return numbers;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toLimitsIssues(issue: z.core.$ZodIssue): LimitsIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      message: 'unknown key',
    }));
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}

const PLAIN_KEY = /^[A-Za-z_$][\w$]*$/;

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const key = String(segment);
      if (!PLAIN_KEY.test(key)) return `[${JSON.stringify(key)}]`;
      return index === 0 ? key : `.${key}`;
    })
    .join('');
}

function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  const received = describeInput(issue.input);
  if (issue.code === 'invalid_type') return `expected ${issue.expected}, received ${received}`;
  if (issue.code === 'too_small') {
    if (issue.origin === 'string') return 'must not be empty';
    return `must be ${issue.inclusive === false ? '>' : '>='} ${issue.minimum}, received ${received}`;
  }
  if (issue.code === 'invalid_key') return 'symbol names must not be empty';
  return undefined;
}

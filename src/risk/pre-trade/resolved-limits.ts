// Limits merged once at construction (symbol over defaults over built-ins), so a check only reads fields.

import type { PreTradeLimits, SymbolLimits } from './pre-trade-limits.js';

/** Every field present; Infinity means "no limit". */
export interface ResolvedSymbolLimits {
  readonly lotSize: number;
  readonly minQuantity: number;
  readonly maxQuantity: number;
  readonly tickSize: number;
  readonly maxOrderNotional: number;
  /** 0 = off. */
  readonly minOrderNotional: number;
  readonly maxPosition: number;
  readonly collarPercent: number;
  readonly collarTicks: number;
  /** True when either collar bound is finite, so a limit order needs a mid. */
  readonly collarEnabled: boolean;
  readonly maxOrdersPerSecond: number;
  readonly burst: number;
}

export const BUILT_IN_SYMBOL_LIMITS = Object.freeze({
  lotSize: 1,
  maxQuantity: 1_000_000,
  tickSize: 0.00001,
  maxOrderNotional: Infinity,
  maxPosition: Infinity,
  collarPercent: 5,
  collarTicks: Infinity,
  maxOrdersPerSecond: Infinity,
});

export function resolveSymbolLimits(
  defaults: SymbolLimits | undefined,
  own: SymbolLimits | undefined,
): ResolvedSymbolLimits {
  const pick = <K extends keyof SymbolLimits>(key: K): SymbolLimits[K] =>
    own?.[key] ?? defaults?.[key];
  const lotSize = pick('lotSize') ?? BUILT_IN_SYMBOL_LIMITS.lotSize;
  const collarPercent = pick('collarPercent') ?? BUILT_IN_SYMBOL_LIMITS.collarPercent;
  const collarTicks = pick('collarTicks') ?? BUILT_IN_SYMBOL_LIMITS.collarTicks;
  const maxOrdersPerSecond =
    pick('maxOrdersPerSecond') ?? BUILT_IN_SYMBOL_LIMITS.maxOrdersPerSecond;
  return Object.freeze({
    lotSize,
    minQuantity: pick('minQuantity') ?? lotSize,
    maxQuantity: pick('maxQuantity') ?? BUILT_IN_SYMBOL_LIMITS.maxQuantity,
    tickSize: pick('tickSize') ?? BUILT_IN_SYMBOL_LIMITS.tickSize,
    maxOrderNotional: pick('maxOrderNotional') ?? BUILT_IN_SYMBOL_LIMITS.maxOrderNotional,
    minOrderNotional: pick('minOrderNotional') ?? 0,
    maxPosition: pick('maxPosition') ?? BUILT_IN_SYMBOL_LIMITS.maxPosition,
    collarPercent,
    collarTicks,
    collarEnabled: collarPercent !== Infinity || collarTicks !== Infinity,
    maxOrdersPerSecond,
    burst: pick('burst') ?? defaultBurst(maxOrdersPerSecond),
  });
}

/** One frozen entry per configured symbol; `defaults` is what any other symbol gets when open. */
export interface ResolvedLimits {
  readonly bySymbol: ReadonlyMap<string, ResolvedSymbolLimits>;
  readonly defaults: ResolvedSymbolLimits;
  /** True when `symbols` is empty: any symbol may trade under `defaults`. */
  readonly openUniverse: boolean;
  readonly restricted: ReadonlySet<string>;
  readonly maxGrossExposure: number;
  readonly maxOpenOrders: number;
  /** 0 = off. */
  readonly duplicateWindowMs: number;
  readonly maxOrdersPerSecond: number;
  readonly burst: number;
}

export function resolveLimits(limits: PreTradeLimits): ResolvedLimits {
  const defaults = resolveSymbolLimits(limits.defaults, undefined);
  const bySymbol = new Map<string, ResolvedSymbolLimits>();
  for (const [symbol, own] of Object.entries(limits.symbols ?? {})) {
    bySymbol.set(symbol, resolveSymbolLimits(limits.defaults, own));
  }
  const maxOrdersPerSecond = limits.maxOrdersPerSecond ?? Infinity;
  return Object.freeze({
    bySymbol,
    defaults,
    openUniverse: bySymbol.size === 0,
    restricted: new Set(limits.restrictedSymbols ?? []),
    maxGrossExposure: limits.maxGrossExposure ?? Infinity,
    maxOpenOrders: limits.maxOpenOrders ?? Infinity,
    duplicateWindowMs: limits.duplicateWindowMs ?? 0,
    maxOrdersPerSecond,
    burst: limits.burst ?? defaultBurst(maxOrdersPerSecond),
  });
}

export function defaultBurst(ratePerSecond: number): number {
  return Math.max(1, ratePerSecond);
}

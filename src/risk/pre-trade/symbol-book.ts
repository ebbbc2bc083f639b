// Per-symbol state, created once per symbol (configured ones up front) and then only looked up.

import type { ConversionRates } from '../conversion-rates.js';
import { NO_AGGREGATE_SLOTS, type AggregateHeadrooms } from '../desk/aggregate-headroom.js';
import type { TradingWindows } from '../windows/trading-windows.js';
import type { ResolvedLimits } from './resolved-limits.js';
import { SymbolState } from './symbol-state.js';
import { TokenBucket } from './token-bucket.js';

export class SymbolBook {
  /** Every state in creation order, for the gross-exposure sum without iterator allocation. */
  readonly states: SymbolState[] = [];
  private readonly bySymbol = new Map<string, SymbolState>();

  constructor(
    private limits: ResolvedLimits,
    private readonly start: number,
    private readonly rates: ConversionRates,
    private readonly windows: TradingWindows,
    private aggregates: AggregateHeadrooms | undefined,
  ) {
    for (const symbol of limits.bySymbol.keys()) this.create(symbol);
    for (const symbol of limits.restricted) {
      if (this.get(symbol) === undefined) this.create(symbol);
    }
  }

  /**
   * Live limits changed: every state takes its new limits in place (working orders hold these
   * objects), keeping positions, mids and spent tokens; newly listed symbols get a state.
   */
  reconfigure(limits: ResolvedLimits, now: number): void {
    this.limits = limits;
    for (const state of this.states) {
      const own = limits.bySymbol.get(state.symbol);
      state.limits = own ?? limits.defaults;
      state.known = own !== undefined || limits.openUniverse;
      state.restricted = limits.restricted.has(state.symbol);
      state.bucket = new TokenBucket(
        state.limits.maxOrdersPerSecond,
        state.limits.burst,
        now,
      ).carriedFrom(state.bucket);
    }
    for (const symbol of [...limits.bySymbol.keys(), ...limits.restricted]) {
      if (this.get(symbol) === undefined) this.create(symbol);
    }
  }

  /** Live desk or firm limits changed: every state takes the new scopes' slots, in one turn. */
  setAggregates(aggregates: AggregateHeadrooms | undefined): void {
    this.aggregates = aggregates;
    for (const state of this.states) {
      state.aggregateSlots = aggregates?.slotsFor(state.symbol) ?? NO_AGGREGATE_SLOTS;
    }
  }

  get knownSymbols(): number {
    return this.limits.bySymbol.size;
  }

  get(symbol: string): SymbolState | undefined {
    return this.bySymbol.get(symbol);
  }

  /** The state an order in this symbol is checked against; undefined for an unknown instrument. */
  forOrder(symbol: string): SymbolState | undefined {
    const state = this.bySymbol.get(symbol);
    if (state !== undefined || !this.limits.openUniverse) return state;
    return this.create(symbol);
  }

  /** Ticks for symbols nobody may trade are ignored, so they cannot grow the book. */
  forTick(symbol: string): SymbolState | undefined {
    return this.forOrder(symbol);
  }

  /** Fills always land: a position in any symbol counts toward gross exposure. */
  forFill(symbol: string): SymbolState {
    return this.bySymbol.get(symbol) ?? this.create(symbol);
  }

  private create(symbol: string): SymbolState {
    const own = this.limits.bySymbol.get(symbol);
    const state = new SymbolState(
      symbol,
      own ?? this.limits.defaults,
      own !== undefined || this.limits.openUniverse,
      this.limits.restricted.has(symbol),
      this.start,
      this.rates.quoteOf(symbol),
      this.rates.routeOf(symbol),
      this.windows.forSymbol(symbol),
      this.aggregates?.slotsFor(symbol) ?? NO_AGGREGATE_SLOTS,
    );
    // From here on the state's factor follows its quote currency's rate.
    this.rates.track(state);
    this.bySymbol.set(symbol, state);
    this.states.push(state);
    return state;
  }
}

// What the chain remembers per symbol, mutated in place so ticks and accepted checks do not allocate.

import type { Side, Signal } from '../../core/types.js';
import type { ConvertedSymbol, RateRoute } from '../conversion-rates.js';
import type { AggregateSymbol } from '../desk/aggregate-headroom.js';
import type { SymbolExposure } from '../working-orders.js';
import type { TradingSchedule } from '../windows/trading-window.js';
import type { ResolvedSymbolLimits } from './resolved-limits.js';
import { TokenBucket } from './token-bucket.js';

export class SymbolState implements SymbolExposure, ConvertedSymbol {
  /** Latest mid; NaN until a usable tick arrives, which makes price checks fail closed. */
  mid = Number.NaN;
  /**
   * Account currency per 1 quantity per 1 price unit (contract size × quote rate), kept current by
   * ConversionRates as quotes arrive; NaN while the quote currency has no rate.
   */
  toAccount = Number.NaN;
  /** The same at the last known rate (unused by the checks, which fail closed on a stale rate). */
  toAccountLastKnown = Number.NaN;
  /** Signed position from the latest OrderFilled, for the gross exposure of other symbols' orders. */
  position = 0;
  /** Remaining quantity of working orders, kept by WorkingOrders from the engine's events. */
  workingBuys = 0;
  workingSells = 0;
  /** Replaced (carrying its tokens) when live limits change the rate. */
  bucket: TokenBucket;
  /** The last accepted order, for the duplicate window (price 0 stands for a market order). */
  lastSide: Side | undefined = undefined;
  lastQuantity = Number.NaN;
  lastPrice = Number.NaN;
  lastAcceptedAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly symbol: string,
    /** Replaced by SymbolBook.reconfigure when live limits change (off the hot path). */
    public limits: ResolvedSymbolLimits,
    /** False when `symbols` is non-empty and does not list this one (kept only for its position). */
    public known: boolean,
    public restricted: boolean,
    start: number,
    /** The currency prices of this symbol are in. */
    readonly quote: string,
    /** This symbol's pair: its mid may be (part of) a conversion rate. */
    readonly route: RateRoute,
    /** When it may take on new exposure (an always-open window when none is configured). */
    readonly window: TradingSchedule,
    /**
     * This symbol's desk and firm positions, one per AggregateHeadrooms scope (none: no limits);
     * replaced whole by SymbolBook.setAggregates when live limits change them (off the hot path).
     */
    public aggregateSlots: readonly AggregateSymbol[],
  ) {
    this.bucket = new TokenBucket(limits.maxOrdersPerSecond, limits.burst, start);
  }

  remember(signal: Signal, now: number): void {
    this.lastSide = signal.side;
    this.lastQuantity = signal.quantity;
    this.lastPrice = priceKey(signal);
    this.lastAcceptedAt = now;
  }
}

/** What the duplicate window compares as price: 0 for a market order, never equal to a limit one. */
export function priceKey(signal: Signal): number {
  return signal.type === 'limit' ? (signal.price as number) : 0;
}

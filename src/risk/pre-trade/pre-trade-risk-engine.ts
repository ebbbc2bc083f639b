// Gate 2's pre-trade chain: every check cheapest-first, the first denial wins, the accept path allocates nothing.
//
// Allocation notes, measured on Node 20 (test/risk/pre-trade/pre-trade-allocation.test.ts):
// - Checks take objects and read their own numbers, because a double passed to a function V8 did
//   not inline is boxed on the heap. Only `position` and `now` are passed on, as received.
// - Signals that mix shapes, market ones without a `price` key and limit ones with it, make V8
//   box the limit price where the checks read it (about 32 bytes per limit order). One shape for
//   both, with `price: undefined` on market orders (as the engine's Order has), allocates nothing.
// - The caller's `now` is boxed by the caller if it is a fractional epoch time and V8 does not
//   inline `check` into it; small integers are not.

import { systemClock, type Clock } from '../../core/clock.js';
import type { LivegateEvent } from '../../core/events.js';
import { InstrumentCatalog } from '../../core/instrument-catalog.js';
import type { Signal, Tick } from '../../core/types.js';
import { ConversionRates } from '../conversion-rates.js';
import type { AggregateHeadrooms } from '../desk/aggregate-headroom.js';
import type { PreTradeDenial, PreTradeRisk } from '../risk-ports.js';
import { TradingWindows } from '../windows/trading-windows.js';
import { WorkingOrders } from '../working-orders.js';
import { deskDenial } from './desk-checks.js';
import { conversionDenial, grossExposureDenial, positionDenial } from './exposure-checks.js';
import {
  instrumentDenial,
  limitPriceDenial,
  quantityDenial,
  unknownInstrument,
} from './order-checks.js';
import { validatePreTradeLimits, type PreTradeLimits } from './pre-trade-limits.js';
import { collarDenial, notionalDenial, referenceDenial } from './price-checks.js';
import {
  resolveLimits,
  type ResolvedLimits,
  type ResolvedSymbolLimits,
} from './resolved-limits.js';
import { SymbolBook } from './symbol-book.js';
import type { SymbolState } from './symbol-state.js';
import { duplicateDenial, openOrdersDenial, rateDenial } from './throttle-checks.js';
import { TokenBucket } from './token-bucket.js';
import { windowDenial } from './window-checks.js';

export { PRE_TRADE_CODES, type PreTradeCode } from './pre-trade-codes.js';

export interface PreTradeRiskEngineOptions {
  /** Anchors the token buckets (full at construction); `check`'s `now` drives them afterwards. */
  readonly clock?: Clock;
  /** Instruments, account currency and configured rates; default a USD account, currencies from names. */
  readonly rates?: ConversionRates;
  /** When each symbol may take on new exposure (risk.tradingWindows); default always. */
  readonly windows?: TradingWindows;
  /**
   * The rest of this engine's desk and of the firm as last listed (DeskView keeps it), when
   * risk.desks / risk.firm limit them; without it the desk checks cost nothing.
   */
  readonly aggregates?: AggregateHeadrooms;
}

export class PreTradeRiskEngine implements PreTradeRisk {
  private resolved: ResolvedLimits;
  private readonly book: SymbolBook;
  private readonly working: WorkingOrders;
  private engineBucket: TokenBucket;
  private readonly rates: ConversionRates;
  private aggregates: AggregateHeadrooms | undefined;
  readonly windows: TradingWindows;

  /** Throws ERR_CONFIG_INVALID listing every bad option at once. */
  constructor(limits: PreTradeLimits, options: PreTradeRiskEngineOptions = {}) {
    const valid = validatePreTradeLimits(limits);
    const start = (options.clock ?? systemClock).now();
    this.resolved = resolveLimits(valid);
    this.rates = options.rates ?? new ConversionRates(new InstrumentCatalog('USD'));
    this.windows = options.windows ?? new TradingWindows();
    this.aggregates = options.aggregates;
    this.book = new SymbolBook(this.resolved, start, this.rates, this.windows, this.aggregates);
    this.engineBucket = new TokenBucket(
      this.resolved.maxOrdersPerSecond,
      this.resolved.burst,
      start,
    );
    this.working = new WorkingOrders((symbol) => this.book.forFill(symbol));
  }

  /**
   * Live limits (`livegate limits set`): validated like the constructor's, then swapped in
   * between two checks (JS runs one at a time), never half-applied. Throws ERR_CONFIG_INVALID
   * and keeps the limits in force when `limits` is invalid.
   */
  applyLimits(limits: PreTradeLimits, now: number): void {
    const resolved = resolveLimits(validatePreTradeLimits(limits));
    this.book.reconfigure(resolved, now);
    this.engineBucket = new TokenBucket(
      resolved.maxOrdersPerSecond,
      resolved.burst,
      now,
    ).carriedFrom(this.engineBucket);
    this.resolved = resolved;
  }

  /**
   * Live desk or firm limits (`limits set desks.…`): the scopes DeskView rebuilt, swapped in with
   * every symbol's slots between two checks. No scope: the desk check costs nothing again.
   */
  applyAggregates(aggregates: AggregateHeadrooms | undefined): void {
    const checked =
      aggregates !== undefined && aggregates.scopes.length > 0 ? aggregates : undefined;
    this.book.setAggregates(checked);
    this.aggregates = checked;
  }

  /** The merged, frozen limits an order in `symbol` is checked against; undefined if unknown. */
  limitsFor(symbol: string): ResolvedSymbolLimits | undefined {
    const own = this.resolved.bySymbol.get(symbol);
    return own ?? (this.resolved.openUniverse ? this.resolved.defaults : undefined);
  }

  /** Orders submitted and not yet done: filled completely, rejected, cancelled or expired. */
  get openOrders(): number {
    return this.working.count;
  }

  observeTick(tick: Tick): void {
    const state = this.book.forTick(tick.symbol);
    // A pair nobody may trade can still be the one that converts a currency.
    if (state === undefined) return this.rates.observeTick(tick);
    const mid = (tick.bid + tick.ask) / 2;
    // A bad quote clears the mid rather than keeping an old one: price checks then fail closed.
    state.mid = mid > 0 && mid !== Infinity ? mid : Number.NaN;
    // The pair was resolved when the state was made, so a rate costs no lookup per tick.
    this.rates.quoteArrived(state.route, tick.bid, tick.ask);
  }

  /** Filled positions carried over from an earlier run, before the first order is checked. */
  restorePositions(positions: ReadonlyMap<string, number>): void {
    for (const [symbol, quantity] of positions) this.book.forFill(symbol).position = quantity;
  }

  /** Currencies some symbol of the chain needs a rate for and has none (for status). */
  missingConversionRates(): string[] {
    return this.rates.missing();
  }

  /**
   * BrokerFailed is deliberately not a close: the order's fate is unknown, so it keeps counting
   * (fail closed) until a fill, a reject or its done report says otherwise. OrdersCancelled is
   * not one either: each order the broker cancelled is reported done on its own.
   */
  onEvent(event: LivegateEvent): void {
    if (event.type === 'OrderSubmitted') {
      this.working.submitted(event.order);
    } else if (event.type === 'OrderFilled') {
      this.book.forFill(event.fill.symbol).position = event.position;
      this.working.filled(event.fill.orderId, event.fill.quantity);
    } else if (event.type === 'VenuePositionsAdopted') {
      for (const { symbol, after } of event.changes) this.book.forFill(symbol).position = after;
    } else if (event.type === 'OrderRejected' || event.type === 'OrderDone') {
      this.working.done(event.orderId);
    }
  }

  check(signal: Signal, position: number, now: number): PreTradeDenial | null {
    const state = this.book.forOrder(signal.symbol);
    if (state === undefined) return unknownInstrument(signal.symbol, this.book.knownSymbols);
    const denial =
      this.orderDenial(signal, state) ??
      windowDenial(signal, state, position, now) ??
      this.flowDenial(signal, state, now) ??
      this.marketDenial(signal, state, position, now) ??
      this.rateDenial(state, now);
    if (denial !== null) return denial;
    // Only a fully accepted order spends tokens and becomes the duplicate reference.
    state.bucket.take();
    this.engineBucket.take();
    state.remember(signal, now);
    return null;
  }

  /** Static checks: the order against its symbol's limits, nothing else. */
  private orderDenial(signal: Signal, state: SymbolState): PreTradeDenial | null {
    return (
      instrumentDenial(state, this.book.knownSymbols) ??
      quantityDenial(signal, state.limits) ??
      (signal.type === 'limit' ? limitPriceDenial(signal, state.limits) : null)
    );
  }

  private flowDenial(signal: Signal, state: SymbolState, now: number): PreTradeDenial | null {
    return (
      openOrdersDenial(this.working.count, this.resolved) ??
      duplicateDenial(signal, state, now, this.resolved)
    );
  }

  /**
   * Checks against the mid: reference, conversion rate, collar, notional, position, desk and firm
   * (view age, loss, net position), gross exposure (the engine's, then the desk's and the firm's).
   */
  private marketDenial(
    signal: Signal,
    state: SymbolState,
    position: number,
    now: number,
  ): PreTradeDenial | null {
    const aggregates = this.aggregates;
    return (
      referenceDenial(signal, state) ??
      conversionDenial(signal, state, position, this.rates) ??
      (signal.type === 'limit' ? collarDenial(signal, state) : null) ??
      notionalDenial(signal, state) ??
      positionDenial(signal, state, position) ??
      (aggregates === undefined ? null : deskDenial(signal, state, position, now, aggregates)) ??
      grossExposureDenial(
        this.book.states,
        signal,
        state,
        position,
        this.resolved,
        this.rates,
        aggregates,
        now,
      )
    );
  }

  /** Refills both buckets from `now`, then asks each for a token without taking it. */
  private rateDenial(state: SymbolState, now: number): PreTradeDenial | null {
    state.bucket.refill(now);
    this.engineBucket.refill(now);
    return rateDenial(state.bucket, state.symbol) ?? rateDenial(this.engineBucket, 'engine');
  }
}

// Positions, PnL, equity peak and daily PnL from fills and fees, marked to the latest mid of each
// symbol and converted into the account currency (docs/risk.md, "Currencies and fees").

import type { Clock } from '../../core/clock.js';
import type { OrderFilled } from '../../core/events.js';
import { InstrumentCatalog } from '../../core/instrument-catalog.js';
import type { PositionSnapshot, RiskSnapshot } from '../../core/risk-snapshot.js';
import { signedQuantity, type Tick } from '../../core/types.js';
import { ConversionRates, type ConvertedSymbol, type RateRoute } from '../conversion-rates.js';
import type { RiskState } from '../../core/risk-state.js';
import { CashBalances } from './cash-balances.js';
import { TradingDay } from './trading-day.js';

/** Mutable on purpose: one per symbol, updated in place so marking a tick allocates nothing. */
export class Holding implements ConvertedSymbol {
  quantity = 0;
  /** In the quote currency, per unit of base. */
  averagePrice = 0;
  /** Latest mid; 0 until the first tick of the symbol. */
  markPrice = 0;
  /** Account currency per 1 quantity per 1 price unit, usable for new exposure (NaN: stale or none). */
  toAccount = Number.NaN;
  /** The same at the last known rate, which values the holding; NaN only if no rate was ever known. */
  toAccountLastKnown = Number.NaN;
  constructor(
    readonly symbol: string,
    readonly quote: string,
    /** This symbol's pair: its mid may be (part of) a conversion rate. */
    readonly route: RateRoute,
  ) {}

  /** Until a tick is seen the position is valued at its entry price: no PnL, but real exposure. */
  get valuationPrice(): number {
    return this.markPrice === 0 ? this.averagePrice : this.markPrice;
  }

  /** In the account currency at the last known rate; NaN when no rate was ever known. */
  get unrealizedPnl(): number {
    // Checked rather than computed as 0 × quantity, which would report a short as -0.
    return this.markPrice === 0
      ? 0
      : (this.markPrice - this.averagePrice) * this.quantity * this.toAccountLastKnown;
  }
}

export type PortfolioTotals = Omit<RiskSnapshot, 'rules'>;

/**
 * Peak, drawdown and the day roll are sampled by revalue(), which the monitor calls on fills and on
 * its timer, never per tick: a tick only moves a mark. A spike between two samples is not a peak.
 */
export class Portfolio {
  private readonly holdings = new Map<string, Holding>();
  private readonly cash: CashBalances;
  /** Currencies with an amount or a position but no rate ever known, as of the last revalue. */
  private readonly missing: string[] = [];
  private realized = 0;
  private unrealized = 0;
  private exposure = 0;
  private peak = 0;
  private day: string;
  private dayStartEquity = 0;

  /**
   * `rates` default: a USD account, currencies read from the symbol names, no configured rates.
   * `symbols`: the ones the engine may trade, so a currency without a rate is named from the start.
   */
  constructor(
    private readonly clock: Clock,
    readonly rates: ConversionRates = new ConversionRates(new InstrumentCatalog('USD')),
    symbols: readonly string[] = [],
    private readonly tradingDay = new TradingDay({ timeZone: 'UTC', startHour: 0 }),
  ) {
    this.day = tradingDay.keyAt(clock.now());
    this.cash = new CashBalances(rates);
    for (const symbol of symbols) this.holding(symbol);
  }

  /**
   * Hot path: one map lookup and a field write (plus the rate, when the symbol is a conversion
   * pair); a holding is allocated only on a symbol's first tick.
   */
  observeTick(tick: Tick): void {
    const holding = this.holding(tick.symbol);
    const mid = (tick.bid + tick.ask) / 2;
    // A bad quote (from a feed that does not validate) keeps the last mark: a loss never reads 0.
    if (mid > 0 && mid !== Infinity) holding.markPrice = mid;
    this.rates.quoteArrived(holding.route, tick.bid, tick.ask);
  }

  /**
   * The quantity after the fill is taken from `event.position`, so it is exactly the engine's even if
   * a fill was missed (only the average price would then be off).
   */
  applyFill(event: OrderFilled): void {
    // Value and roll the day first, so a fill just after midnight counts in the new day.
    this.revalue();
    const { fill } = event;
    const holding = this.holding(fill.symbol);
    const delta = signedQuantity(fill.side, fill.quantity);
    const before = holding.quantity;
    if (before === 0 || Math.sign(before) === Math.sign(delta)) {
      const size = Math.abs(before);
      holding.averagePrice =
        (size * holding.averagePrice + fill.quantity * fill.price) / (size + fill.quantity);
    } else {
      const closed = Math.min(fill.quantity, Math.abs(before));
      const contractSize = this.rates.catalog.get(fill.symbol).contractSize;
      const pnl = (fill.price - holding.averagePrice) * closed * Math.sign(before) * contractSize;
      this.cash.add(holding.quote, pnl);
      // Shrinking keeps the entry price; a flip opens the rest at the fill price; flat has none.
      if (event.position === 0) holding.averagePrice = 0;
      else if (Math.sign(event.position) !== Math.sign(before)) holding.averagePrice = fill.price;
    }
    holding.quantity = event.position;
    // A fee is realized P&L in its own currency (a rebate, negative, adds to it).
    if (fill.fee !== undefined && fill.fee !== 0) {
      this.cash.add(fill.feeCurrency ?? holding.quote, -fill.fee);
    }
    this.revalue();
  }

  /** Re-marks every position, rolls the trading day and raises the equity peak. */
  revalue(): void {
    let unrealized = 0;
    let exposure = 0;
    const missing = this.missing;
    missing.length = 0;
    for (const holding of this.holdings.values()) {
      if (holding.quantity === 0) continue;
      // A stale rate still values the position (at the last rate): a loss must not vanish. With
      // no rate ever known it is left out rather than guessed; status lists the currency instead.
      if (!(holding.toAccountLastKnown > 0)) {
        if (!missing.includes(holding.quote)) missing.push(holding.quote);
        continue;
      }
      unrealized += holding.unrealizedPnl;
      exposure += Math.abs(holding.quantity) * holding.valuationPrice * holding.toAccountLastKnown;
    }
    this.realized = this.cash.valued(missing);
    this.unrealized = unrealized;
    this.exposure = exposure;
    const equity = this.equity;
    const day = this.tradingDay.keyAt(this.clock.now());
    if (day !== this.day) {
      this.day = day;
      this.dayStartEquity = equity;
    }
    if (equity > this.peak) this.peak = equity;
  }

  get realizedPnl(): number {
    return this.realized;
  }
  get unrealizedPnl(): number {
    return this.unrealized;
  }
  get equity(): number {
    return this.realized + this.unrealized;
  }
  /** Highest equity sampled, starting from 0 (flat, no PnL). */
  get equityPeak(): number {
    return this.peak;
  }
  get drawdown(): number {
    return this.peak - this.equity;
  }
  /** Equity change since the first sample of the current trading day. */
  get dailyPnl(): number {
    return this.equity - this.dayStartEquity;
  }
  get grossExposure(): number {
    return this.exposure;
  }
  /** Currencies the totals leave out for want of any rate ever known, as of the last revalue. */
  get missingConversionRates(): readonly string[] {
    return this.missing;
  }

  /** The open position with the largest |quantity|, or undefined when flat everywhere. */
  largestPosition(): Readonly<Holding> | undefined {
    let largest: Holding | undefined;
    for (const holding of this.holdings.values()) {
      if (holding.quantity === 0) continue;
      if (largest === undefined || Math.abs(holding.quantity) > Math.abs(largest.quantity)) {
        largest = holding;
      }
    }
    return largest;
  }

  position(symbol: string): Readonly<Holding> | undefined {
    return this.holdings.get(symbol);
  }

  /** Open positions and totals, revalued now. */
  snapshot(): PortfolioTotals {
    this.revalue();
    const positions: PositionSnapshot[] = [];
    for (const holding of this.holdings.values()) {
      if (holding.quantity === 0) continue;
      positions.push({
        symbol: holding.symbol,
        quantity: holding.quantity,
        averagePrice: holding.averagePrice,
        markPrice: holding.markPrice,
        // JSON has no NaN: a position without a rate reports 0 and its currency is listed.
        unrealizedPnl: holding.toAccountLastKnown > 0 ? holding.unrealizedPnl : 0,
        quoteCurrency: holding.quote,
        ...(holding.toAccount > 0
          ? {}
          : { conversionRate: holding.toAccountLastKnown > 0 ? 'stale' : 'missing' }),
      });
    }
    return {
      positions,
      realizedPnl: this.realized,
      unrealizedPnl: this.unrealized,
      dailyPnl: this.dailyPnl,
      equityPeak: this.peak,
      drawdown: this.drawdown,
      grossExposure: this.exposure,
      accountCurrency: this.rates.accountCurrency,
      missingConversionRates: union(this.rates.missing(), this.missing),
      staleConversionRates: this.rates.stale(),
    };
  }

  /** What a restart needs to carry on where this left off (journaled as RiskStateRecorded). */
  state(openRules: readonly string[]): RiskState {
    const positions = [];
    for (const holding of this.holdings.values()) {
      if (holding.quantity === 0) continue;
      const { symbol, quantity, averagePrice, markPrice } = holding;
      positions.push({ symbol, quantity, averagePrice, markPrice });
    }
    return {
      tradingDay: this.day,
      dayStartEquity: this.dayStartEquity,
      equityPeak: this.peak,
      balances: this.cash.amounts(),
      positions,
      openRules,
    };
  }

  /**
   * Takes over a recorded state. On the same trading day the day's P&L carries on from the
   * recorded day start; on a later one the next revalue starts the new day at the equity then.
   */
  restore(state: RiskState): void {
    for (const [currency, amount] of Object.entries(state.balances)) {
      this.cash.add(currency, amount);
    }
    for (const position of state.positions) {
      const holding = this.holding(position.symbol);
      holding.quantity = position.quantity;
      holding.averagePrice = position.averagePrice;
      if (holding.markPrice === 0) holding.markPrice = position.markPrice;
    }
    this.peak = state.equityPeak;
    this.day = state.tradingDay;
    this.dayStartEquity = state.dayStartEquity;
    this.revalue();
  }

  /**
   * The venue's quantity replaces ours (reconciliation at start). What changed is valued from
   * the mark on: its P&L before is unknown here, so none is invented.
   */
  adoptPosition(symbol: string, quantity: number): void {
    const holding = this.holding(symbol);
    const before = holding.quantity;
    holding.quantity = quantity;
    if (quantity === 0) holding.averagePrice = 0;
    else if (before === 0 || Math.sign(before) !== Math.sign(quantity)) {
      holding.averagePrice = holding.valuationPrice;
    }
    this.revalue();
  }

  /** Signed quantity per symbol held. */
  positions(): Map<string, number> {
    const positions = new Map<string, number>();
    for (const holding of this.holdings.values()) {
      if (holding.quantity !== 0) positions.set(holding.symbol, holding.quantity);
    }
    return positions;
  }

  /** The trading day's key now (`YYYY-MM-DD` it started on). */
  currentTradingDay(): string {
    return this.tradingDay.keyAt(this.clock.now());
  }

  private holding(symbol: string): Holding {
    let holding = this.holdings.get(symbol);
    if (holding === undefined) {
      holding = new Holding(symbol, this.rates.quoteOf(symbol), this.rates.routeOf(symbol));
      this.rates.track(holding);
      this.holdings.set(symbol, holding);
    }
    return holding;
  }
}

/** `a` then the entries of `b` not in it. */
function union(a: readonly string[], b: readonly string[]): string[] {
  return [...a, ...b.filter((entry) => !a.includes(entry))];
}

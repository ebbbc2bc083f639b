// Rates from any currency into the account currency: the feed's own quotes (a pair against the
// account currency, else one hop through a third currency), a configured rate otherwise, and the
// last known rate, for valuing what is held, once none of those is usable (docs/risk.md).
// Each symbol's factors are recomputed when a quote moves its rate, never per order or per mark.

import { systemClock, type Clock } from '../core/clock.js';
import type { InstrumentCatalog } from '../core/instrument-catalog.js';
import type { StaleConversionRate } from '../core/risk-snapshot.js';
import type { Tick } from '../core/types.js';
import { CurrencyRate, PairQuote, type ConvertedSymbol, type RateLeg } from './currency-rate.js';
import type { TickObserver } from './risk-ports.js';

export { CurrencyRate, PairQuote, type ConvertedSymbol, type RateSource } from './currency-rate.js';

/** A symbol whose mid may be (part of) a conversion rate; callers keep it beside their state. */
export type RateRoute = PairQuote;

export interface ConversionRatesOptions {
  /**
   * A feed-derived rate whose quotes are older than this (ms) is stale: not usable for new
   * exposure, still used to value what is held. Infinity: never stale. Checked by `expire()`.
   */
  readonly maxAgeMs?: number;
  /** Monotonic time for the expiry sweep; default the system clock. */
  readonly clock?: Clock;
}

export class ConversionRates implements TickObserver {
  readonly accountCurrency: string;
  readonly maxAgeMs: number;
  private readonly clock: Clock;
  private readonly rates = new Map<string, CurrencyRate>();
  private readonly pairs = new Map<string, PairQuote>();
  private lastSweepAt: number;

  /** `configured`: the account-currency value of one unit of each currency (`{ JPY: 0.0067 }`). */
  constructor(
    readonly catalog: InstrumentCatalog,
    private readonly configured: Readonly<Record<string, number>> = {},
    options: ConversionRatesOptions = {},
  ) {
    this.accountCurrency = catalog.accountCurrency;
    this.maxAgeMs = options.maxAgeMs ?? Infinity;
    this.clock = options.clock ?? systemClock;
    this.lastSweepAt = this.clock.monotonic();
    this.rates.set(this.accountCurrency, new CurrencyRate(this.accountCurrency, 1, true));
  }

  /** For callers without a per-symbol slot of their own: one map lookup per tick. */
  observeTick(tick: Tick): void {
    this.quoteArrived(this.pairs.get(tick.symbol) ?? this.routeOf(tick.symbol), tick.bid, tick.ask);
  }

  /** The symbol's pair; callers keep it beside their own state so a tick costs no lookup. */
  routeOf(symbol: string): RateRoute {
    const known = this.pairs.get(symbol);
    if (known !== undefined) return known;
    const { base, quote } = this.catalog.get(symbol);
    const pair = new PairQuote(symbol, base, quote);
    this.pairs.set(symbol, pair);
    // A new pair may open a path for any rate (EURUSD opens JPY via EURJPY): rare, so relink all.
    for (const rate of this.rates.values()) this.link(rate);
    return pair;
  }

  /**
   * A quote of a pair. A bad one (no positive finite mid) keeps the last good mid for valuation
   * but makes the pair unusable for new exposure until a good one arrives.
   */
  quoteArrived(pair: PairQuote, bid: number, ask: number): void {
    const mid = (bid + ask) / 2;
    if (!(mid > 0 && mid !== Infinity)) {
      if (pair.usable) this.settle(pair, false);
      return;
    }
    pair.quotes++;
    // Unchanged and usable: the dependents already hold this factor.
    if (mid === pair.mid && pair.usable) return;
    pair.mid = mid;
    this.settle(pair, true);
  }

  /**
   * Marks pairs whose last good quote is older than `maxAgeMs` unusable. Runs on the risk
   * monitor's evaluation timer, so a rate is found stale within maxAgeMs + one interval.
   */
  expire(now = this.clock.monotonic()): void {
    const since = this.lastSweepAt;
    this.lastSweepAt = now;
    for (const pair of this.pairs.values()) {
      if (pair.quotes !== pair.seenQuotes) {
        // Quoted since the last sweep: count its age from that sweep (fail closed by one interval).
        pair.seenQuotes = pair.quotes;
        pair.quotedBy = since;
      } else if (pair.usable && now - pair.quotedBy > this.maxAgeMs) {
        this.settle(pair, false);
      }
    }
  }

  /** Starts keeping `target`'s factors current for its symbol's quote currency. */
  track(target: ConvertedSymbol): CurrencyRate {
    const { quote, contractSize } = this.catalog.get(target.symbol);
    const rate = this.rate(quote);
    rate.dependents.push({ target, contractSize });
    target.toAccount = contractSize * rate.value;
    target.toAccountLastKnown = contractSize * rate.lastKnown;
    return rate;
  }

  /** Account currency per unit of `currency`, usable for new exposure now; NaN when none is. */
  valueOf(currency: string): number {
    return this.rate(currency).value;
  }

  /** For a denial: `rate: stale` with the last rate and its age, or `rate: missing`. */
  whyUnusable(currency: string): { rate: string; lastRate?: number; ageMs?: number } {
    const rate = this.rate(currency);
    if (rate.source !== 'stale') return { rate: 'missing' };
    const ageMs = rate.ageAt(this.clock.monotonic());
    return { rate: 'stale', lastRate: rate.lastKnown, ...(ageMs >= 0 ? { ageMs } : {}) };
  }

  /** The quote currency of a symbol (as the catalog says). */
  quoteOf(symbol: string): string {
    return this.catalog.get(symbol).quote;
  }

  /** Currencies a known symbol or a balance needs that no rate was ever known for. */
  missing(): string[] {
    const missing: string[] = [];
    for (const rate of this.rates.values()) {
      if (this.isNeeded(rate) && rate.source === 'missing') missing.push(rate.currency);
    }
    return missing;
  }

  /** Needed currencies valued at their last feed rate because no usable one is left. */
  stale(now = this.clock.monotonic()): StaleConversionRate[] {
    const stale: StaleConversionRate[] = [];
    for (const rate of this.rates.values()) {
      if (!this.isNeeded(rate) || rate.source !== 'stale') continue;
      const ageMs = rate.ageAt(now);
      stale.push({
        currency: rate.currency,
        lastRate: rate.lastKnown,
        ageMs: ageMs >= 0 ? ageMs : null,
      });
    }
    return stale;
  }

  /** The rate slot of a currency, created on first use (with its configured value, if any). */
  rate(currency: string): CurrencyRate {
    let rate = this.rates.get(currency);
    if (rate === undefined) {
      // hasOwn: a currency named like an Object.prototype key must not find a function.
      const configured = Object.hasOwn(this.configured, currency)
        ? this.configured[currency]!
        : Number.NaN;
      rate = new CurrencyRate(currency, configured, false);
      this.rates.set(currency, rate);
      this.link(rate);
    }
    return rate;
  }

  private isNeeded(rate: CurrencyRate): boolean {
    return rate.dependents.length > 0 || rate.needed;
  }

  private settle(pair: PairQuote, usable: boolean): void {
    pair.usable = usable;
    const { users } = pair;
    for (let index = 0; index < users.length; index++) users[index]!.recompute();
  }

  /** Rebuilds a rate's paths from the pairs known now: direct ones, then one hop through a third. */
  private link(rate: CurrencyRate): void {
    if (rate.source === 'account') return;
    const account = this.accountCurrency;
    const direct: RateLeg[][] = [];
    const cross: RateLeg[][] = [];
    for (const first of this.pairs.values()) {
      const leg = legFrom(first, rate.currency);
      if (leg === undefined) continue;
      const via = leg.inverse ? first.base : first.quote;
      if (via === account) {
        direct.push([leg]);
        continue;
      }
      for (const second of this.pairs.values()) {
        const next = legFrom(second, via);
        if (next !== undefined && (next.inverse ? second.base : second.quote) === account) {
          cross.push([leg, next]);
        }
      }
    }
    for (const path of rate.paths) {
      for (const { pair } of path) removeUser(pair, rate);
    }
    rate.paths = [...direct, ...cross];
    for (const path of rate.paths) {
      for (const { pair } of path) if (!pair.users.includes(rate)) pair.users.push(rate);
    }
    rate.recompute();
  }
}

/** The leg that turns one unit of `currency` into the pair's other currency, if it trades in it. */
function legFrom(pair: PairQuote, currency: string): RateLeg | undefined {
  if (pair.base === pair.quote) return undefined;
  if (pair.base === currency) return { pair, inverse: false };
  if (pair.quote === currency) return { pair, inverse: true };
  return undefined;
}

function removeUser(pair: PairQuote, rate: CurrencyRate): void {
  const index = pair.users.indexOf(rate);
  if (index !== -1) pair.users.splice(index, 1);
}

// Rates from any currency into the account currency: the feed's own quote where the pair is traded,
// a configured rate otherwise. Each symbol's factor (contract size × rate) is recomputed when a quote
// moves its rate, so checks and marks only multiply by a number that is already there.

import type { InstrumentCatalog } from '../core/instrument-catalog.js';
import type { Tick } from '../core/types.js';
import type { TickObserver } from './risk-ports.js';

/** Something valued in a symbol's quote currency; ConversionRates keeps its factor current. */
export interface ConvertedSymbol {
  readonly symbol: string;
  /** Account currency per 1 quantity per 1 price unit: contract size × rate; NaN while unknown. */
  toAccount: number;
}

interface Dependent {
  readonly target: ConvertedSymbol;
  readonly contractSize: number;
}

/** One currency's value in the account currency, and the symbols whose factor follows it. */
export class CurrencyRate {
  /** From the latest quote of a pair of this currency against the account's; NaN if none usable. */
  fromFeed = Number.NaN;
  readonly dependents: Dependent[] = [];
  constructor(
    readonly currency: string,
    /** NaN when not configured. */
    readonly configured: number,
  ) {}

  /** The feed's rate while it has a usable one, else the configured one, else NaN. */
  get value(): number {
    return this.fromFeed > 0 ? this.fromFeed : this.configured;
  }

  publish(): void {
    const value = this.value;
    for (let index = 0; index < this.dependents.length; index++) {
      const dependent = this.dependents[index]!;
      dependent.target.toAccount = dependent.contractSize * value;
    }
  }
}

/** A symbol whose mid is a rate: base/account (direct) or account/quote (inverse). */
export interface RateRoute {
  readonly rate: CurrencyRate;
  readonly inverse: boolean;
}

export class ConversionRates implements TickObserver {
  readonly accountCurrency: string;
  private readonly rates = new Map<string, CurrencyRate>();
  private readonly routes = new Map<string, RateRoute | null>();

  /** `configured`: the account-currency value of one unit of each currency (`{ JPY: 0.0067 }`). */
  constructor(
    readonly catalog: InstrumentCatalog,
    private readonly configured: Readonly<Record<string, number>> = {},
  ) {
    this.accountCurrency = catalog.accountCurrency;
    this.rates.set(this.accountCurrency, new CurrencyRate(this.accountCurrency, 1));
  }

  /** For callers without a per-symbol slot of their own: one map lookup per tick. */
  observeTick(tick: Tick): void {
    const route = this.routes.get(tick.symbol) ?? this.routeOf(tick.symbol);
    if (route !== null) this.quoteArrived(route, tick.bid, tick.ask);
  }

  /** Whether this symbol's mid is a conversion rate; callers keep the answer beside their own state. */
  routeOf(symbol: string): RateRoute | null {
    const known = this.routes.get(symbol);
    if (known !== undefined) return known;
    const { base, quote } = this.catalog.get(symbol);
    const account = this.accountCurrency;
    let route: RateRoute | null = null;
    if (quote === account && base !== account) route = { rate: this.rate(base), inverse: false };
    else if (base === account && quote !== account)
      route = { rate: this.rate(quote), inverse: true };
    this.routes.set(symbol, route);
    return route;
  }

  /** A quote of a rate's pair: a bad one (no positive finite mid) falls back to the configured rate. */
  quoteArrived(route: RateRoute, bid: number, ask: number): void {
    const mid = (bid + ask) / 2;
    let rate = route.inverse ? 1 / mid : mid;
    if (!(rate > 0 && rate !== Infinity)) rate = Number.NaN;
    const current = route.rate;
    // Unchanged (or still unusable): the dependents already hold this factor.
    if (rate === current.fromFeed || (rate !== rate && current.fromFeed !== current.fromFeed)) {
      return;
    }
    current.fromFeed = rate;
    current.publish();
  }

  /** Starts keeping `target.toAccount` current for its symbol's quote currency. */
  track(target: ConvertedSymbol): void {
    const { quote, contractSize } = this.catalog.get(target.symbol);
    const rate = this.rate(quote);
    rate.dependents.push({ target, contractSize });
    target.toAccount = contractSize * rate.value;
  }

  /** Account currency per unit of `currency` now; NaN when neither the feed nor config has one. */
  valueOf(currency: string): number {
    return this.rate(currency).value;
  }

  /** The quote currency of a symbol (as the catalog says). */
  quoteOf(symbol: string): string {
    return this.catalog.get(symbol).quote;
  }

  /** Currencies some symbol needs a rate for that neither the feed nor config provides now. */
  missing(): string[] {
    const missing: string[] = [];
    for (const rate of this.rates.values()) {
      if (rate.dependents.length > 0 && !(rate.value > 0)) missing.push(rate.currency);
    }
    return missing;
  }

  /** The rate slot of a currency, created on first use (with its configured value, if any). */
  rate(currency: string): CurrencyRate {
    let rate = this.rates.get(currency);
    if (rate === undefined) {
      // hasOwn: a currency named like an Object.prototype key must not find a function.
      const configured = Object.hasOwn(this.configured, currency)
        ? this.configured[currency]!
        : Number.NaN;
      rate = new CurrencyRate(currency, configured);
      this.rates.set(currency, rate);
    }
    return rate;
  }
}

// One ccxt exchange shared by CcxtFeed and CcxtBroker: built once from validated options, markets
// loaded once, and the venue's instrument rules turned into the pre-trade per-symbol limits.

import ccxt, { functions, type Exchange, type MarketInterface } from 'ccxt';
import { LivegateError } from '../../core/errors.js';

export interface CcxtVenueOptions {
  /** A ccxt exchange id (`kraken`, `bybit`...). */
  readonly venue: string;
  /** Use the venue's test environment (`urls.test`); refused for venues that have none. */
  readonly sandbox: boolean;
  /** ccxt unified symbols (`BTC/USD`); the engine's symbols are these. */
  readonly symbols: readonly string[];
  /** Credentials: read from the environment by the caller, never from the config file. */
  readonly apiKey?: string;
  readonly secret?: string;
  readonly password?: string;
  /** Replaces entries of ccxt's `urls.api` (`{ public, private }` for Kraken): tests, proxies. */
  readonly urls?: Readonly<Record<string, string>>;
  /** Per HTTP request. */
  readonly timeoutMs: number;
  /** Milliseconds between requests for ccxt's own throttle; default: the venue's (Kraken 1000). */
  readonly rateLimit?: number;
}

/** A venue's rules for one instrument, in the units of the pre-trade limits. */
export interface InstrumentLimits {
  readonly lotSize?: number;
  readonly tickSize?: number;
  readonly minQuantity?: number;
  readonly maxQuantity?: number;
  /** quantity × price must reach this (ccxt `limits.cost.min`). */
  readonly minNotional?: number;
}

/** The subset of `SymbolLimits` (risk/pre-trade) a venue knows; the pre-trade schema accepts it. */
export interface VenueSymbolLimits {
  lotSize?: number;
  tickSize?: number;
  minQuantity?: number;
  maxQuantity?: number;
  minOrderNotional?: number;
}

const OPTION_NAMES = new Set([
  'venue',
  'sandbox',
  'symbols',
  'apiKey',
  'secret',
  'password',
  'urls',
  'timeoutMs',
  'rateLimit',
]);

export class CcxtVenue {
  readonly name: string;
  readonly symbols: readonly string[];
  /** The ccxt instance; only the ccxt adapters touch it. */
  readonly exchange: Exchange;
  private loading: Promise<void> | undefined;
  private loaded = false;
  private attempted = false;

  constructor(options: CcxtVenueOptions) {
    validateVenueOptions(options);
    this.name = options.venue;
    this.symbols = Object.freeze([...options.symbols]);
    this.exchange = buildExchange(options);
  }

  get hasCredentials(): boolean {
    return Boolean(this.exchange.apiKey) && Boolean(this.exchange.secret);
  }

  /**
   * Loads markets once (concurrent callers share the request) and checks the configured symbols.
   * Rejects with ccxt's error when the venue cannot be read, so callers can tell transient
   * failures from permanent ones; with ERR_CONFIG_INVALID for symbols the venue does not list.
   */
  load(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    this.loading ??= this.loadOnce().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** The venue's rules for `symbol`, from ccxt's market metadata. Call after load(). */
  instrumentLimits(symbol: string): InstrumentLimits {
    return limitsOf(this.market(symbol), this.exchange.precisionMode ?? functions.TICK_SIZE);
  }

  market(symbol: string): MarketInterface {
    const markets = this.exchange.markets as Record<string, MarketInterface> | undefined;
    const market = this.loaded ? markets?.[symbol] : undefined;
    if (market === undefined) {
      throw new LivegateError(
        'ERR_CONFIG_INVALID',
        `${this.name}: no market "${symbol}" (markets ${this.loaded ? 'loaded' : 'not loaded yet'})`,
      );
    }
    return market;
  }

  async close(): Promise<void> {
    await this.exchange.close();
  }

  private async loadOnce(): Promise<void> {
    // ccxt keeps a failed loadMarkets promise, so every attempt after the first must reload.
    const reload = this.attempted;
    this.attempted = true;
    await this.exchange.loadMarkets(reload);
    const unknown = this.symbols.filter((symbol) => this.exchange.markets?.[symbol] === undefined);
    if (unknown.length > 0) {
      throw new LivegateError(
        'ERR_CONFIG_INVALID',
        `${this.name} does not list ${unknown.map((symbol) => `"${symbol}"`).join(', ')} (ccxt unified symbols, like "BTC/USD")`,
        { details: { venue: this.name, unknownSymbols: unknown } },
      );
    }
    this.loaded = true;
  }
}

/**
 * `Record<symbol, instrument>` from the venue's markets, for `risk.instruments`: base, quote and
 * contract size (ccxt leaves contractSize unset on spot markets, where a quantity is in base units).
 */
export function venueInstruments(
  venue: CcxtVenue,
): Record<string, { base: string; quote: string; contractSize: number }> {
  const result: Record<string, { base: string; quote: string; contractSize: number }> = {};
  for (const symbol of venue.symbols) {
    const market = venue.market(symbol);
    const size = market.contractSize;
    result[symbol] = {
      base: market.base,
      quote: market.quote,
      contractSize: typeof size === 'number' && size > 0 && Number.isFinite(size) ? size : 1,
    };
  }
  return result;
}

/** `Record<symbol, limits>` for the venue's configured symbols, for `risk.preTrade.symbols`. */
export function preTradeSymbolLimits(venue: CcxtVenue): Record<string, VenueSymbolLimits> {
  const result: Record<string, VenueSymbolLimits> = {};
  for (const symbol of venue.symbols) {
    const { lotSize, tickSize, minQuantity, maxQuantity, minNotional } =
      venue.instrumentLimits(symbol);
    const limits: VenueSymbolLimits = {};
    if (lotSize !== undefined) limits.lotSize = lotSize;
    if (tickSize !== undefined) limits.tickSize = tickSize;
    if (minQuantity !== undefined) limits.minQuantity = minQuantity;
    if (maxQuantity !== undefined) limits.maxQuantity = maxQuantity;
    if (minNotional !== undefined) limits.minOrderNotional = minNotional;
    result[symbol] = limits;
  }
  return result;
}

/**
 * ccxt states precision either as the step itself (TICK_SIZE: 0.001) or as a count of decimals
 * (DECIMAL_PLACES: 3); SIGNIFICANT_DIGITS has no fixed step, so no grid is derived from it.
 */
export function stepFromPrecision(
  value: number | undefined,
  precisionMode: number,
): number | undefined {
  if (value === undefined || value === null || !Number.isFinite(value)) return undefined;
  if (precisionMode === functions.TICK_SIZE) return value > 0 ? value : undefined;
  if (precisionMode === functions.DECIMAL_PLACES && Number.isInteger(value)) {
    return Number(`1e${-value}`);
  }
  return undefined;
}

function limitsOf(market: MarketInterface, precisionMode: number): InstrumentLimits {
  const lotSize = stepFromPrecision(market.precision.amount, precisionMode);
  const tickSize = stepFromPrecision(market.precision.price, precisionMode);
  const minAmount = positive(market.limits.amount?.min);
  const limits: {
    -readonly [K in keyof InstrumentLimits]: InstrumentLimits[K];
  } = {};
  if (lotSize !== undefined) limits.lotSize = lotSize;
  if (tickSize !== undefined) limits.tickSize = tickSize;
  // The pre-trade check wants the minimum on the lot grid; the venue would round up anyway.
  if (minAmount !== undefined) {
    limits.minQuantity = lotSize === undefined ? minAmount : ceilToStep(minAmount, lotSize);
  }
  const maxAmount = positive(market.limits.amount?.max);
  if (maxAmount !== undefined) limits.maxQuantity = maxAmount;
  const minNotional = positive(market.limits.cost?.min);
  if (minNotional !== undefined) limits.minNotional = minNotional;
  return limits;
}

function positive(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

function ceilToStep(value: number, step: number): number {
  const steps = Math.max(1, Math.ceil(value / step - 1e-9));
  return Number((steps * step).toPrecision(12));
}

function buildExchange(options: CcxtVenueOptions): Exchange {
  const constructors = ccxt as unknown as Record<string, new (config: object) => Exchange>;
  const ExchangeClass = constructors[options.venue] as new (config: object) => Exchange;
  const exchange = new ExchangeClass({
    apiKey: options.apiKey,
    secret: options.secret,
    password: options.password,
    timeout: options.timeoutMs,
    enableRateLimit: true,
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
    // We decide what is retried: ccxt must never resend a request (an order) on its own.
    options: { maxRetriesOnFailure: 0 },
  });
  if (options.sandbox) {
    try {
      // ccxt does not refuse every venue without a test environment, so check first.
      if (exchange.urls.test === undefined) throw new Error('no urls.test');
      exchange.setSandboxMode(true);
    } catch (error) {
      throw new LivegateError(
        'ERR_CONFIG_INVALID',
        `${options.venue} has no sandbox (test) environment in ccxt`,
        { cause: error, details: { venue: options.venue } },
      );
    }
  }
  if (options.urls !== undefined) {
    const api = exchange.urls.api as unknown;
    exchange.urls = {
      ...exchange.urls,
      // @ts-expect-error ccxt types `urls.api` loosely; a string or a map of API names to URLs.
      api:
        typeof api === 'string'
          ? (options.urls.api ?? api)
          : { ...(api as Record<string, unknown>), ...options.urls },
    };
  }
  return exchange;
}

function validateVenueOptions(options: CcxtVenueOptions): void {
  const problems: string[] = [];
  const input = options as unknown as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!OPTION_NAMES.has(key)) problems.push(`${key}: unknown option`);
  }
  if (typeof options.venue !== 'string' || !ccxt.exchanges.includes(options.venue)) {
    problems.push(`venue: "${String(options.venue)}" is not a ccxt exchange id`);
  }
  if (typeof options.sandbox !== 'boolean') problems.push('sandbox: must be true or false');
  const symbols = options.symbols as unknown;
  const symbolsOk =
    Array.isArray(symbols) &&
    symbols.length > 0 &&
    symbols.every((symbol) => typeof symbol === 'string' && symbol.length > 0) &&
    new Set(symbols).size === symbols.length;
  if (!symbolsOk) problems.push('symbols: must be a non-empty list of distinct symbols');
  for (const key of ['apiKey', 'secret', 'password'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
      problems.push(`${key}: must be a non-empty string when given`);
    }
  }
  if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
    problems.push('timeoutMs: must be a number > 0');
  }
  if (
    options.rateLimit !== undefined &&
    !(Number.isFinite(options.rateLimit) && options.rateLimit > 0)
  ) {
    problems.push('rateLimit: must be a number > 0 (milliseconds between requests)');
  }
  const urls = options.urls as unknown;
  if (
    urls !== undefined &&
    (typeof urls !== 'object' ||
      urls === null ||
      Object.values(urls).some((url) => typeof url !== 'string' || !/^https?:\/\//.test(url)))
  ) {
    problems.push('urls: must map API names to http(s) URLs');
  }
  if (problems.length > 0) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `invalid ccxt venue options (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n${problems.join('\n')}`,
      { details: { problems } },
    );
  }
}

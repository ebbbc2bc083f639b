// What each symbol trades: its base and quote currency and its contract size, so prices (quoted per
// unit of base, in the quote currency) can be turned into amounts and then into the account currency.

export interface Instrument {
  /** What one unit of the price buys: `EUR` in EURUSD, `BTC` in BTC/USDT. */
  readonly base: string;
  /** The currency the price, P&L and fees of the symbol are in: `USD` in EURUSD, `JPY` in USDJPY. */
  readonly quote: string;
  /** Units of base per 1 of order quantity (1 when quantities are in base units; 100 for gold in ounces per lot). */
  readonly contractSize: number;
}

/**
 * Currencies a six-letter symbol may be split into (`USDJPY` → USD, JPY). Only names made of two of
 * these are split, so a six-letter stock ticker is not mistaken for a currency pair.
 */
const KNOWN_CURRENCIES: ReadonlySet<string> = new Set(
  (
    'USD EUR GBP JPY CHF CAD AUD NZD SEK NOK DKK PLN CZK HUF TRY ZAR MXN BRL CNH CNY HKD SGD ' +
    'KRW INR ILS RUB THB TWD XAU XAG XPT XPD'
  ).split(' '),
);

const SIX_LETTERS = /^[A-Z]{6}$/;

export class InstrumentCatalog {
  private readonly configured = new Map<string, Instrument>();
  /** Inferred entries, remembered so a symbol keeps one answer however often it is asked. */
  private readonly inferred = new Map<string, Instrument>();

  constructor(
    readonly accountCurrency: string,
    instruments: Readonly<Record<string, Instrument>> = {},
  ) {
    for (const [symbol, instrument] of Object.entries(instruments)) this.define(symbol, instrument);
  }

  /**
   * Adds or replaces a symbol's entry (config at start-up, a venue's markets once loaded). Call it
   * before the symbol trades: components that already looked the symbol up keep their answer.
   */
  define(symbol: string, instrument: Instrument): void {
    this.configured.set(symbol, Object.freeze({ ...instrument }));
    this.inferred.delete(symbol);
  }

  /** True when the entry came from config or a venue rather than from the symbol's name. */
  isDefined(symbol: string): boolean {
    return this.configured.has(symbol);
  }

  /**
   * The configured entry, else one read from the name (`BASE/QUOTE[:SETTLE]`, or two known
   * currencies in six letters), else the symbol quoted in the account currency with size 1.
   */
  get(symbol: string): Instrument {
    const known = this.configured.get(symbol) ?? this.inferred.get(symbol);
    if (known !== undefined) return known;
    const instrument = Object.freeze(inferInstrument(symbol, this.accountCurrency));
    this.inferred.set(symbol, instrument);
    return instrument;
  }

  /** Symbols with a configured or venue entry. */
  definedSymbols(): string[] {
    return [...this.configured.keys()];
  }
}

export function inferInstrument(symbol: string, accountCurrency: string): Instrument {
  const slash = symbol.indexOf('/');
  if (slash > 0) {
    // ccxt's unified names: BTC/USDT, and BTC/USDT:USDT for a contract settled in USDT.
    const colon = symbol.indexOf(':', slash);
    const quote = symbol.slice(slash + 1, colon === -1 ? undefined : colon);
    if (quote.length > 0) return { base: symbol.slice(0, slash), quote, contractSize: 1 };
  }
  if (SIX_LETTERS.test(symbol)) {
    const base = symbol.slice(0, 3);
    const quote = symbol.slice(3);
    if (KNOWN_CURRENCIES.has(base) && KNOWN_CURRENCIES.has(quote)) {
      return { base, quote, contractSize: 1 };
    }
  }
  return { base: symbol, quote: accountCurrency, contractSize: 1 };
}

// One currency's value in the account currency, from the feed's quotes (directly, or through one
// third currency), a configured rate, or, when neither is usable now, the last one the feed gave.

/** What a currency's rate rests on now; anything but `stale` and `missing` may back new exposure. */
export type RateSource = 'account' | 'feed' | 'cross' | 'configured' | 'stale' | 'missing';

/** Something valued in a symbol's quote currency; ConversionRates keeps its factors current. */
export interface ConvertedSymbol {
  readonly symbol: string;
  /** Contract size × the usable rate: for new exposure. NaN while the rate is stale or missing. */
  toAccount: number;
  /** Contract size × the last known rate: for valuing what is held. NaN only if never known. */
  toAccountLastKnown: number;
}

/** A traded pair: its last good mid, kept through bad quotes and silence, and whether it is usable. */
export class PairQuote {
  /** Last positive finite mid; NaN until one arrives. */
  mid = Number.NaN;
  /** False after a bad quote, or once older than the maximum age, until the next good quote. */
  usable = false;
  /** Good quotes so far: the expiry sweep notices movement without a clock read per tick. */
  quotes = 0;
  seenQuotes = 0;
  /** Monotonic ms no later than the last good quote (the sweep before it was noticed). */
  quotedBy = Number.NaN;
  /** Rates with a path through this pair, recomputed when it moves. */
  readonly users: CurrencyRate[] = [];
  constructor(
    readonly symbol: string,
    readonly base: string,
    readonly quote: string,
  ) {}
}

/** One step of a path: a pair's mid as is (1 from = mid to), or inverted. */
export interface RateLeg {
  readonly pair: PairQuote;
  readonly inverse: boolean;
}

interface Dependent {
  readonly target: ConvertedSymbol;
  readonly contractSize: number;
}

export class CurrencyRate {
  /** Usable for new exposure: a usable feed path, else the configured rate, else NaN. */
  value = Number.NaN;
  /** `value`, else the last feed-derived value (stale), else NaN. */
  lastKnown = Number.NaN;
  source: RateSource = 'missing';
  /** One or two legs each, direct paths first; set by ConversionRates as pairs become known. */
  paths: (readonly RateLeg[])[] = [];
  /** The path the last feed-derived value came from, for its age. */
  lastPath: readonly RateLeg[] | undefined = undefined;
  /** Fees or balances in this currency: reported when it has no rate, like a traded symbol's. */
  needed = false;
  readonly dependents: Dependent[] = [];

  constructor(
    readonly currency: string,
    /** NaN when not configured; 1 for the account currency. */
    readonly configured: number,
    isAccount: boolean,
  ) {
    if (isAccount) {
      this.value = this.lastKnown = 1;
      this.source = 'account';
    } else {
      this.recompute();
    }
  }

  /** Re-derives the rate from its paths; tells the dependents when a factor changed. */
  recompute(): void {
    if (this.source === 'account') return;
    const previousValue = this.value;
    const previousLastKnown = this.lastKnown;
    let fromFeed = Number.NaN;
    for (let index = 0; index < this.paths.length; index++) {
      const path = this.paths[index]!;
      const value = pathValue(path);
      if (value > 0 && value !== Infinity) {
        fromFeed = value;
        this.lastPath = path;
        this.source = path.length === 1 ? 'feed' : 'cross';
        break;
      }
    }
    if (fromFeed > 0) {
      this.value = this.lastKnown = fromFeed;
    } else if (this.configured > 0) {
      this.value = this.lastKnown = this.configured;
      this.source = 'configured';
    } else {
      this.value = Number.NaN;
      // The last path's mids are kept through silence and bad quotes: that is the last known rate.
      const last = this.lastPath === undefined ? Number.NaN : pathValue(this.lastPath, true);
      this.lastKnown = last;
      this.source = last > 0 ? 'stale' : 'missing';
    }
    if (!same(previousValue, this.value) || !same(previousLastKnown, this.lastKnown)) {
      this.publish();
    }
  }

  /** How long ago (ms, at most) the quotes behind the last feed-derived value arrived. */
  ageAt(now: number): number {
    if (this.lastPath === undefined) return Number.NaN;
    let oldest = Infinity;
    for (const leg of this.lastPath) oldest = Math.min(oldest, leg.pair.quotedBy);
    return oldest === Infinity || oldest !== oldest ? Number.NaN : now - oldest;
  }

  publish(): void {
    const { value, lastKnown } = this;
    for (let index = 0; index < this.dependents.length; index++) {
      const dependent = this.dependents[index]!;
      dependent.target.toAccount = dependent.contractSize * value;
      dependent.target.toAccountLastKnown = dependent.contractSize * lastKnown;
    }
  }
}

/** The product of a path's legs; NaN when a leg is unusable (unless `lastKnown`) or has no mid. */
function pathValue(path: readonly RateLeg[], lastKnown = false): number {
  let value = 1;
  for (let index = 0; index < path.length; index++) {
    const { pair, inverse } = path[index]!;
    if (!lastKnown && !pair.usable) return Number.NaN;
    value = inverse ? value / pair.mid : value * pair.mid;
  }
  return value;
}

function same(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

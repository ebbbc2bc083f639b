// Top-of-book quotes from a ccxt venue by REST polling (fetchTickers / fetchTicker): transient
// failures are retried with backoff and reported, never thrown; only permanent ones end ticks().

import { systemClock, type Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import type { MarketFeed, TickOrBatch, VenueListener, VenueReport } from '../../core/ports.js';
import type { Tick } from '../../core/types.js';
import { InterruptibleSleep } from '../feeds/interruptible-sleep.js';
import { validateTick } from '../feeds/tick-validation.js';
import { feedOptionError } from '../feeds/feed-option-error.js';
import { backoffDelay, describeVendorError, isPermanent, isTransient } from './ccxt-errors.js';
import type { CcxtVenue } from './ccxt-venue.js';
import { VenueLink } from './venue-link.js';

export interface CcxtFeedOptions {
  readonly venue: CcxtVenue;
  /** Pause between polls. Default 1000. */
  readonly pollIntervalMs?: number;
  /** No fresh quote for this long (failed polls, or venue-stamped quotes this old) is `stale`. Default 10 000. */
  readonly staleAfterMs?: number;
  /** First retry pause after a failed poll, doubling up to `retryMaxDelayMs`. Defaults 250 / 10 000. */
  readonly retryInitialDelayMs?: number;
  readonly retryMaxDelayMs?: number;
  /** Stop after this many ticks (drills, tests). Default Infinity. */
  readonly maxTicks?: number;
  readonly clock?: Clock;
}

interface Quote {
  readonly bid: number;
  readonly ask: number;
  readonly bidSize: number | undefined;
  readonly askSize: number | undefined;
  readonly venueTime: number | undefined;
}

/** The parts of a ccxt ticker this feed reads. */
interface TickerFields {
  readonly bid?: number | undefined;
  readonly ask?: number | undefined;
  readonly bidVolume?: number | undefined;
  readonly askVolume?: number | undefined;
  readonly timestamp?: number | undefined;
}

export class CcxtFeed implements MarketFeed {
  readonly name: string;
  private readonly venue: CcxtVenue;
  private readonly pollIntervalMs: number;
  private readonly staleAfterMs: number;
  private readonly backoff: { initialDelayMs: number; maxDelayMs: number };
  private readonly maxTicks: number;
  private readonly clock: Clock;
  private readonly knownSymbols: ReadonlySet<string>;
  private readonly sleeper = new InterruptibleSleep();
  private listener: VenueListener | undefined;
  private readonly link: VenueLink;
  private closed = false;
  private wakeClosed: () => void = () => undefined;
  private readonly closedSignal = new Promise<'closed'>((resolve) => {
    this.wakeClosed = () => resolve('closed');
  });
  private readonly lastQuotes = new Map<string, Quote>();
  private readonly staleSymbols = new Set<string>();
  private lastTime = 0;
  private lastSuccess = 0;

  constructor(options: CcxtFeedOptions) {
    this.venue = options.venue;
    this.name = `ccxt:${options.venue.name}`;
    this.pollIntervalMs = checkNumber('pollIntervalMs', options.pollIntervalMs ?? 1000, 0);
    this.staleAfterMs = checkNumber('staleAfterMs', options.staleAfterMs ?? 10_000, 1);
    this.backoff = {
      initialDelayMs: checkNumber('retryInitialDelayMs', options.retryInitialDelayMs ?? 250, 1),
      maxDelayMs: checkNumber('retryMaxDelayMs', options.retryMaxDelayMs ?? 10_000, 1),
    };
    const maxTicks = options.maxTicks ?? Infinity;
    if (!(maxTicks === Infinity || (Number.isInteger(maxTicks) && maxTicks > 0))) {
      throw feedOptionError(
        'CcxtFeed',
        'maxTicks',
        'must be a positive integer or Infinity',
        maxTicks,
      );
    }
    this.maxTicks = maxTicks;
    this.clock = options.clock ?? systemClock;
    this.knownSymbols = new Set(this.venue.symbols);
    this.link = new VenueLink('feed', this.venue.name, 1, (report) => this.report(report));
  }

  attach(listener: VenueListener): void {
    this.listener = listener;
  }

  async *ticks(): AsyncGenerator<TickOrBatch, void, undefined> {
    let emitted = 0;
    let failures = 0;
    this.lastSuccess = this.clock.monotonic();
    while (!this.closed && emitted < this.maxTicks) {
      const outcome = await this.untilClosed(this.poll());
      if (outcome === 'closed' || this.closed) return;
      if (outcome instanceof Error) {
        failures += 1;
        await this.sleeper.sleep(backoffDelay(failures, this.backoff));
        continue;
      }
      failures = 0;
      const ticks = outcome.slice(0, this.maxTicks - emitted);
      if (ticks.length > 0) {
        emitted += ticks.length;
        yield ticks.length === 1 ? (ticks[0] as Tick) : ticks;
      }
      if (this.closed || emitted >= this.maxTicks) return;
      if (this.pollIntervalMs > 0) await this.sleeper.sleep(this.pollIntervalMs);
    }
  }

  close(): Promise<void> {
    this.closed = true;
    this.wakeClosed();
    this.sleeper.wakeAll();
    return Promise.resolve();
  }

  /** New quotes as ticks, or the transient error the poll met; throws only when retrying cannot help. */
  private async poll(): Promise<Tick[] | Error> {
    try {
      await this.venue.load();
      const tickers = await this.fetchTickers();
      this.lastSuccess = this.clock.monotonic();
      this.link.succeeded(`polling ${this.venue.symbols.join(', ')}`);
      return this.ticksFrom(tickers);
    } catch (error) {
      if (this.closed) return error as Error;
      if (isPermanent(error) || isLivegateConfigError(error)) {
        this.link.failed(describeVendorError(error), true);
        throw new LivegateError('ERR_FEED_FAILED', `${this.name}: ${describeVendorError(error)}`, {
          cause: error,
          details: { venue: this.venue.name },
        });
      }
      // Unknown venue errors are retried too: a feed that stops on an unfamiliar message is worse
      // than one that says it is disconnected while it keeps trying.
      const detail = `${isTransient(error) ? '' : 'unexpected: '}${describeVendorError(error)}`;
      this.link.failed(detail);
      this.checkStale(detail);
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  private async fetchTickers(): Promise<Record<string, TickerFields | undefined>> {
    const exchange = this.venue.exchange;
    const symbols = [...this.venue.symbols];
    if (symbols.length > 1 && exchange.has.fetchTickers === true) {
      return exchange.fetchTickers(symbols);
    }
    const tickers = await Promise.all(symbols.map((symbol) => exchange.fetchTicker(symbol)));
    return Object.fromEntries(symbols.map((symbol, index) => [symbol, tickers[index]]));
  }

  /** Only quotes that changed become ticks; times never go backwards across the feed. */
  private ticksFrom(tickers: Record<string, TickerFields | undefined>): Tick[] {
    const ticks: Tick[] = [];
    const now = this.clock.now();
    for (const symbol of this.venue.symbols) {
      const ticker = tickers[symbol];
      if (ticker === undefined) continue;
      const quote: Quote = {
        bid: ticker.bid ?? NaN,
        ask: ticker.ask ?? NaN,
        bidSize: finiteOrUndefined(ticker.bidVolume),
        askSize: finiteOrUndefined(ticker.askVolume),
        venueTime: finiteOrUndefined(ticker.timestamp),
      };
      if (sameQuote(this.lastQuotes.get(symbol), quote)) continue;
      const time = Math.max(this.lastTime, quote.venueTime ?? now);
      const tick: Tick = {
        symbol,
        bid: quote.bid,
        ask: quote.ask,
        time,
        ...(quote.bidSize === undefined ? {} : { bidSize: quote.bidSize }),
        ...(quote.askSize === undefined ? {} : { askSize: quote.askSize }),
      };
      const problem = validateTick(tick, this.knownSymbols);
      if (problem !== null) {
        this.link.emit('malformed-message', `${symbol}: ${problem}`, symbol);
        continue;
      }
      this.lastQuotes.set(symbol, quote);
      this.lastTime = time;
      this.trackVenueAge(symbol, quote.venueTime, now);
      ticks.push(tick);
    }
    return ticks;
  }

  /** A venue-stamped quote older than staleAfterMs is stale even though the poll succeeded. */
  private trackVenueAge(symbol: string, venueTime: number | undefined, now: number): void {
    const old = venueTime !== undefined && now - venueTime > this.staleAfterMs;
    if (old && !this.staleSymbols.has(symbol)) {
      this.staleSymbols.add(symbol);
      this.link.emit('stale', `quote is ${Math.round(now - (venueTime ?? now))} ms old`, symbol);
    } else if (!old) {
      this.staleSymbols.delete(symbol);
    }
  }

  private checkStale(detail: string): void {
    const age = this.clock.monotonic() - this.lastSuccess;
    if (age <= this.staleAfterMs) return;
    for (const symbol of this.venue.symbols) {
      if (this.staleSymbols.has(symbol)) continue;
      this.staleSymbols.add(symbol);
      this.link.emit('stale', `no fresh quote for ${Math.round(age)} ms (${detail})`, symbol);
    }
  }

  /** Resolves with the call's result, or 'closed' as soon as close() is called. */
  private untilClosed<T>(work: Promise<T>): Promise<T | 'closed'> {
    work.catch(() => undefined);
    return Promise.race([work, this.closedSignal]);
  }

  private report(report: VenueReport): void {
    this.listener?.onVenueReport(report);
  }
}

function sameQuote(previous: Quote | undefined, next: Quote): boolean {
  return (
    previous !== undefined &&
    previous.bid === next.bid &&
    previous.ask === next.ask &&
    previous.bidSize === next.bidSize &&
    previous.askSize === next.askSize &&
    previous.venueTime === next.venueTime
  );
}

function finiteOrUndefined(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isLivegateConfigError(error: unknown): boolean {
  return error instanceof LivegateError && error.code === 'ERR_CONFIG_INVALID';
}

function checkNumber(option: string, value: number, minimum: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= minimum)) {
    throw feedOptionError('CcxtFeed', option, `must be a finite number >= ${minimum}`, value);
  }
  return value;
}

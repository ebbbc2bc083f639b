// Top-of-book quotes from a ccxt.pro venue's WebSocket stream (watchTicker): a lost connection is
// reported and re-dialled with backoff (ccxt.pro reconnects on the next watch call); only
// permanent errors end ticks().

import { NetworkError, BaseError, type Exchange } from 'ccxt';
import { systemClock, type Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import type { MarketFeed, TickOrBatch, VenueListener, VenueReport } from '../../core/ports.js';
import type { Tick } from '../../core/types.js';
import { InterruptibleSleep } from '../feeds/interruptible-sleep.js';
import { validateTick } from '../feeds/tick-validation.js';
import { reconnectDelay } from '../gateway/reconnect-delay.js';
import { TickBuffer } from '../gateway/tick-buffer.js';
import { describeVendorError, isPermanent } from './ccxt-errors.js';
import {
  buildStreamExchange,
  parseStreamFeedOptions,
  usesPlainWebSocket,
  type CcxtStreamFeedOptions,
  type CcxtStreamFeedSettings,
} from './ccxt-stream-exchange.js';
import { VenueLink } from './venue-link.js';

export type { CcxtStreamFeedOptions } from './ccxt-stream-exchange.js';

/** Most ticks per yielded batch. */
const BATCH_SIZE = 256;
/** close() waits this long at most for the venue to acknowledge the sockets' close. */
const CLOSE_WAIT_MS = 2_000;

/** The parts of a ccxt ticker this feed reads. */
interface TickerFields {
  readonly bid?: number | undefined;
  readonly ask?: number | undefined;
  readonly bidVolume?: number | undefined;
  readonly askVolume?: number | undefined;
  readonly timestamp?: number | undefined;
}

export class CcxtStreamFeed implements MarketFeed {
  readonly name: string;
  private readonly settings: CcxtStreamFeedSettings;
  private readonly symbols: readonly string[];
  private readonly exchange: Exchange;
  private readonly clock: Clock;
  private readonly knownSymbols: ReadonlySet<string>;
  private readonly link: VenueLink;
  /** The `connected` detail, built once: success is recorded on every update. */
  private readonly streamingDetail: string;
  private readonly buffer: TickBuffer;
  private readonly sleeper = new InterruptibleSleep();
  /** Monotonic time of each symbol's last accepted tick (or of the start). */
  private readonly lastFresh = new Map<string, number>();
  private readonly staleSymbols = new Set<string>();
  private listener: VenueListener | undefined;
  private preparing: Promise<void> | undefined;
  private prepared = false;
  private loadAttempted = false;
  private staleTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private failure: LivegateError | undefined;
  private lastTime = 0;
  private started = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: CcxtStreamFeedOptions) {
    this.settings = parseStreamFeedOptions(options);
    this.exchange = buildStreamExchange(this.settings);
    const venue = this.settings.venue.venue;
    this.name = `ccxt-stream:${venue}`;
    this.symbols = Object.freeze([...this.settings.venue.symbols]);
    this.knownSymbols = new Set(this.symbols);
    this.clock = this.settings.clock ?? systemClock;
    this.buffer = new TickBuffer(Math.floor(this.settings.maxBufferedTicks / this.symbols.length));
    this.link = new VenueLink('feed', venue, 1, (report) => this.report(report));
    this.streamingDetail = `streaming tickers of ${this.symbols.join(', ')}`;
  }

  attach(listener: VenueListener): void {
    this.listener = listener;
  }

  /** Connects on the first read; one iteration per feed. */
  async *ticks(): AsyncGenerator<TickOrBatch, void, undefined> {
    if (this.started) {
      throw new LivegateError('ERR_FEED_FAILED', `${this.name}: ticks() can be read only once`);
    }
    this.started = true;
    if (this.closed) return;
    this.start();
    let emitted = 0;
    try {
      while (!this.closed && emitted < this.settings.maxTicks) {
        if (this.failure !== undefined) throw this.failure;
        if (this.buffer.size === 0) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          continue;
        }
        const batch = this.buffer.take(Math.min(BATCH_SIZE, this.settings.maxTicks - emitted));
        emitted += batch.length;
        yield batch.length === 1 ? (batch[0] as Tick) : batch;
      }
    } finally {
      // A consumer that stops reading (or a feed that failed) is done with the venue's sockets.
      await this.close();
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private start(): void {
    const now = this.clock.monotonic();
    for (const symbol of this.symbols) {
      this.lastFresh.set(symbol, now);
      this.watch(symbol).catch((error: unknown) => this.fail(error));
    }
    const period = Math.min(1_000, Math.max(10, this.settings.staleAfterMs / 4));
    this.staleTimer = setInterval(() => this.checkStale(), period);
    this.staleTimer.unref();
  }

  /**
   * One watch loop per symbol, each with its own ccxt future: a multi-symbol watchTickers future
   * settles with whichever symbol moved first, so one loop would serialise the symbols.
   */
  private async watch(symbol: string): Promise<void> {
    let failures = 0;
    while (!this.closed && this.failure === undefined) {
      try {
        await this.prepare();
        if (this.closed) return;
        const ticker = (await this.exchange.watchTicker(symbol)) as TickerFields;
        if (this.closed) return;
        failures = 0;
        this.link.succeeded(this.streamingDetail);
        this.accept(symbol, ticker);
        // Updates that landed before this loop re-armed its future are only in ccxt's cache
        // (it flushes a backlog in one go): deliver the newest, or it waits for the next update.
        const latest = (this.exchange.tickers as Record<string, TickerFields | undefined>)[symbol];
        if (latest !== undefined && latest !== ticker) this.accept(symbol, latest);
      } catch (error) {
        if (this.closed) return;
        if (isPermanent(error) || isConfigError(error)) return this.fail(error);
        failures += 1;
        this.watchFailed(error);
        await this.sleeper.sleep(reconnectDelay(failures - 1, this.backoff));
      }
    }
  }

  private get backoff(): { initialDelayMs: number; maxDelayMs: number } {
    return {
      initialDelayMs: this.settings.retryInitialDelayMs,
      maxDelayMs: this.settings.retryMaxDelayMs,
    };
  }

  /** Markets loaded once for every loop (REST), symbols checked; a failed load is retried with a reload. */
  private prepare(): Promise<void> {
    if (this.prepared) return Promise.resolve();
    this.preparing ??= this.prepareOnce().finally(() => {
      this.preparing = undefined;
    });
    return this.preparing;
  }

  private async prepareOnce(): Promise<void> {
    if (usesPlainWebSocket(this.settings)) await this.exchange.loadHttpProxyAgent();
    // ccxt keeps a failed loadMarkets promise, so every attempt after the first must reload.
    const reload = this.loadAttempted;
    this.loadAttempted = true;
    await this.exchange.loadMarkets(reload);
    const markets = this.exchange.markets as Record<string, unknown> | undefined;
    const unknown = this.symbols.filter((symbol) => markets?.[symbol] === undefined);
    if (unknown.length > 0) {
      const venue = this.settings.venue.venue;
      throw new LivegateError(
        'ERR_CONFIG_INVALID',
        `${venue} does not list ${unknown.map((symbol) => `"${symbol}"`).join(', ')} (ccxt unified symbols, like "BTC/USD")`,
        { details: { venue, unknownSymbols: unknown } },
      );
    }
    this.prepared = true;
  }

  /** A one-sided update is skipped; a bad quote is reported and dropped at the edge. */
  private accept(symbol: string, ticker: TickerFields): void {
    const { bid, ask } = ticker;
    if (bid === undefined || bid === null || ask === undefined || ask === null) return;
    const venueTime = finiteOrUndefined(ticker.timestamp);
    const time = Math.max(this.lastTime, venueTime ?? this.clock.now());
    const bidSize = finiteOrUndefined(ticker.bidVolume);
    const askSize = finiteOrUndefined(ticker.askVolume);
    const tick: Tick = {
      symbol,
      bid,
      ask,
      time,
      ...(bidSize === undefined ? {} : { bidSize }),
      ...(askSize === undefined ? {} : { askSize }),
    };
    const problem = validateTick(tick, this.knownSymbols);
    if (problem !== null) {
      this.link.emit('malformed-message', `${symbol}: ${problem}`, symbol);
      return;
    }
    this.lastTime = time;
    this.lastFresh.set(symbol, this.clock.monotonic());
    this.staleSymbols.delete(symbol);
    this.buffer.push(tick);
    this.wakeReader();
  }

  /**
   * A NetworkError is a lost or failed connection; another ccxt error is retried too (a feed that
   * stops on an unfamiliar message is worse than one that says it is disconnected while it keeps
   * trying); anything else was thrown while ccxt parsed a venue message.
   */
  private watchFailed(error: unknown): void {
    if (error instanceof NetworkError) {
      this.link.failed(describeVendorError(error));
    } else if (error instanceof BaseError) {
      this.link.failed(`unexpected: ${describeVendorError(error)}`);
    } else {
      this.link.emit(
        'malformed-message',
        `ccxt could not read a message: ${describeVendorError(error)}`,
      );
    }
  }

  private checkStale(): void {
    const now = this.clock.monotonic();
    for (const [symbol, last] of this.lastFresh) {
      const age = now - last;
      if (age <= this.settings.staleAfterMs || this.staleSymbols.has(symbol)) continue;
      this.staleSymbols.add(symbol);
      const state = this.link.connected ? '' : ' (not connected)';
      this.link.emit('stale', `no update for ${Math.round(age)} ms${state}`, symbol);
    }
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined || this.closed) return;
    const detail = describeVendorError(error);
    this.link.failed(detail, true);
    this.failure = new LivegateError('ERR_FEED_FAILED', `${this.name}: ${detail}`, {
      cause: error,
      details: { venue: this.settings.venue.venue },
    });
    this.sleeper.wakeAll();
    this.wakeReader();
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    clearInterval(this.staleTimer);
    this.buffer.clear();
    this.sleeper.wakeAll();
    this.wakeReader();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
      timer.unref();
    });
    // ccxt rejects every pending watch with ExchangeClosedByUser; the loops see `closed` and end.
    await Promise.race([this.exchange.close().catch(() => undefined), waited]);
    clearTimeout(timer);
  }

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private report(report: VenueReport): void {
    this.listener?.onVenueReport(report);
  }
}

function finiteOrUndefined(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isConfigError(error: unknown): boolean {
  return error instanceof LivegateError && error.code === 'ERR_CONFIG_INVALID';
}

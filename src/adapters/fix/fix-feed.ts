// Market data from a FIX 4.4 venue: a MarketDataRequest (35=V, snapshot plus updates, top of
// book) per logon, the snapshot (35=W) and incremental refreshes (35=X) kept as a bid and an ask
// per symbol, and a tick each time one of them changes. Ticks are buffered for the consumer,
// bounded per symbol; after a reconnect the subscription is made again.

import { LivegateError } from '../../core/errors.js';
import type { MarketFeed, TickOrBatch, VenueListener, VenueReport } from '../../core/ports.js';
import type { Tick } from '../../core/types.js';
import { validateTick } from '../feeds/tick-validation.js';
import { TickBuffer } from '../gateway/tick-buffer.js';
import { marketDataRequest, MsgType, number, record, text, time } from './fix-messages.js';
import {
  fixFeedOptionsSchema,
  parseFixOptions,
  sessionSettingsOf,
  type FixFeedOptions,
  type FixFeedSettings,
} from './fix-options.js';
import { FixSessionLink, type FixMessage } from './fix-session-link.js';

/** Most ticks per yielded batch. */
const BATCH_SIZE = 256;

interface Quote {
  bid: number | undefined;
  ask: number | undefined;
  time: number;
}

export class FixFeed implements MarketFeed {
  readonly name: string;
  private readonly settings: FixFeedSettings;
  private readonly knownSymbols: ReadonlySet<string>;
  private readonly link: FixSessionLink;
  private readonly buffer: TickBuffer;
  private readonly quotes = new Map<string, Quote>();
  private listener: VenueListener | undefined;
  private requestNumber = 0;
  private wake: (() => void) | undefined;
  private started = false;
  private closed = false;
  private accepted = 0;
  /** The venue refused the session's sequence numbers: the feed ends with this. */
  private refusal: string | undefined;

  constructor(options: FixFeedOptions) {
    this.settings = parseFixOptions('FixFeed', fixFeedOptionsSchema, options);
    this.knownSymbols = new Set(this.settings.symbols);
    this.buffer = new TickBuffer(
      Math.max(1, Math.floor(this.settings.maxBufferedTicks / this.settings.symbols.length)),
    );
    this.link = new FixSessionLink(sessionSettingsOf(this.settings), {
      onLoggedOn: () => this.subscribe(),
      onMessage: (msgType, message) => this.received(msgType, message),
      onLoggedOut: (reason) => this.report('disconnected', reason),
      onRefused: (problem) => {
        this.refusal = problem;
        this.report('disconnected', problem);
        this.wakeReader();
      },
    });
    this.name = `fix:${this.link.venue}`;
  }

  attach(listener: VenueListener): void {
    this.listener = listener;
  }

  /** Logs on at the first read; one iteration per feed. */
  async *ticks(): AsyncGenerator<TickOrBatch, void, undefined> {
    if (this.started) {
      throw new LivegateError('ERR_FEED_FAILED', `${this.name}: ticks() can be read only once`);
    }
    this.started = true;
    if (this.closed) return;
    await this.link.start();
    try {
      while (!this.closed) {
        if (this.refusal !== undefined && this.buffer.size === 0) {
          throw new LivegateError('ERR_FEED_FAILED', `${this.name}: ${this.refusal}`);
        }
        if (this.buffer.size > 0) {
          const batch = this.buffer.take(BATCH_SIZE);
          yield batch.length === 1 ? (batch[0] as Tick) : batch;
        } else if (this.reachedMaxTicks()) {
          return;
        } else {
          await new Promise<void>((resolve) => (this.wake = resolve));
        }
      }
    } finally {
      await this.close();
    }
  }

  close(): Promise<void> {
    this.closed = true;
    this.buffer.clear();
    this.wakeReader();
    return this.link.close();
  }

  private subscribe(): void {
    this.report('connected', 'logged on; subscribing to market data');
    this.requestNumber += 1;
    const requestId = `livegate-md-${Date.now().toString(36)}-${this.requestNumber}`;
    this.link.send(MsgType.MarketDataRequest, marketDataRequest(requestId, this.settings.symbols));
  }

  private received(msgType: string, message: FixMessage): void {
    const sentAt = time(record(message['StandardHeader'])['SendingTime']) ?? Date.now();
    switch (msgType) {
      case MsgType.MarketDataSnapshotFullRefresh: {
        const symbol = text(record(message['Instrument'])['Symbol']);
        const entries = record(message['MDFullGrp'])['NoMDEntries'];
        return this.applyEntries(entries, symbol, sentAt);
      }
      case MsgType.MarketDataIncrementalRefresh:
        return this.applyEntries(record(message['MDIncGrp'])['NoMDEntries'], undefined, sentAt);
      case MsgType.MarketDataRequestReject: {
        const why = text(message['Text']) ?? `MDReqRejReason ${String(message['MDReqRejReason'])}`;
        return this.report('stale', `market data request refused: ${why}`);
      }
      default:
        return;
    }
  }

  private applyEntries(entries: unknown, snapshotSymbol: string | undefined, sentAt: number): void {
    if (!Array.isArray(entries)) return;
    const changed = new Set<string>();
    for (const entry of entries as unknown[]) {
      const fields = record(entry);
      const symbol =
        snapshotSymbol ?? text(record(fields['Instrument'])['Symbol']) ?? this.onlySymbol();
      if (symbol === undefined || !this.knownSymbols.has(symbol)) continue;
      const side = text(fields['MDEntryType']);
      if (side !== '0' && side !== '1') continue;
      const quote = this.quotes.get(symbol) ?? { bid: undefined, ask: undefined, time: 0 };
      // MDUpdateAction 2 deletes the level: no price on that side until a new one comes.
      const price =
        text(fields['MDUpdateAction']) === '2' ? undefined : number(fields['MDEntryPx']);
      if (side === '0') quote.bid = price;
      else quote.ask = price;
      quote.time = Math.max(quote.time, sentAt);
      this.quotes.set(symbol, quote);
      changed.add(symbol);
    }
    for (const symbol of changed) this.emit(symbol);
  }

  private emit(symbol: string): void {
    const quote = this.quotes.get(symbol);
    if (quote?.bid === undefined || quote.ask === undefined || this.reachedMaxTicks()) return;
    const tick: Tick = { symbol, bid: quote.bid, ask: quote.ask, time: quote.time };
    const problem = validateTick(tick, this.knownSymbols);
    if (problem !== null) return this.report('malformed-message', `bad quote: ${problem}`, symbol);
    this.accepted += 1;
    this.buffer.push(tick);
    this.wakeReader();
  }

  private onlySymbol(): string | undefined {
    return this.settings.symbols.length === 1 ? this.settings.symbols[0] : undefined;
  }

  private reachedMaxTicks(): boolean {
    const { maxTicks } = this.settings;
    return maxTicks !== undefined && this.accepted >= maxTicks;
  }

  private report(kind: VenueReport['kind'], detail: string, symbol?: string): void {
    this.listener?.onVenueReport({
      source: 'feed',
      venue: this.link.venue,
      kind,
      detail,
      ...(symbol === undefined ? {} : { symbol }),
    });
  }

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

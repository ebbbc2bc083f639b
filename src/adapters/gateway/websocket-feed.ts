// Market data from a WebSocket gateway (an MT5 bridge, an in-house gateway): docs/gateway-protocol.md.
// Ticks are validated at the edge and buffered for the consumer, bounded per symbol.

import { LivegateError } from '../../core/errors.js';
import type { MarketFeed, TickOrBatch, VenueListener, VenueReport } from '../../core/ports.js';
import type { Tick } from '../../core/types.js';
import { validateTick } from '../feeds/tick-validation.js';
import { GatewayConnection, type GatewayConnectionStats } from './gateway-connection.js';
import {
  feedOptionsSchema,
  parseGatewayOptions,
  socketSourceOf,
  type WebSocketFeedOptions,
  type WebSocketFeedSettings,
} from './gateway-options.js';
import type { InboundFrame } from './gateway-protocol.js';
import type { GatewaySocketSource } from './gateway-socket-source.js';
import { TickBuffer } from './tick-buffer.js';

export interface WebSocketFeedStats extends GatewayConnectionStats {
  readonly deliveredTicks: number;
  /** Ticks held for the consumer right now. */
  readonly bufferedTicks: number;
  /** Oldest ticks of a symbol pushed out because the consumer fell behind. */
  readonly droppedTicks: number;
}

/** Most ticks per yielded batch. */
const BATCH_SIZE = 256;

export class WebSocketFeed implements MarketFeed {
  readonly name: string;
  private readonly settings: WebSocketFeedSettings;
  private readonly knownSymbols: ReadonlySet<string>;
  private readonly connection: GatewayConnection;
  private readonly buffer: TickBuffer;
  /** Last accepted time per symbol: a symbol's ticks must not go back in time. */
  private readonly lastTimes = new Map<string, number>();
  private listener: VenueListener | undefined;
  private wake: (() => void) | undefined;
  private started = false;
  private ended = false;
  private closed = false;
  private delivered = 0;

  /** `sockets`: where the gateway's connections come from when it dials in (no `url` then). */
  constructor(options: WebSocketFeedOptions, sockets?: GatewaySocketSource) {
    this.settings = parseGatewayOptions('WebSocketFeed', feedOptionsSchema, options);
    const source = socketSourceOf('WebSocketFeed', this.settings, sockets);
    this.knownSymbols = new Set(this.settings.symbols);
    this.buffer = new TickBuffer(
      Math.floor(this.settings.maxBufferedTicks / this.settings.symbols.length),
    );
    this.connection = new GatewayConnection(this.settings, source, 'feed', {
      onConnected: () =>
        this.connection.send({ type: 'subscribe', symbols: this.settings.symbols }),
      onFrame: (frame) => this.frameReceived(frame),
      onEnded: () => this.streamEnded(),
      report: (report) => this.report(report),
    });
    this.name = `websocket:${this.connection.venue}`;
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
    this.connection.start();
    try {
      while (!this.closed) {
        if (this.buffer.size > 0) {
          const batch = this.buffer.take(BATCH_SIZE);
          this.delivered += batch.length;
          yield batch.length === 1 ? (batch[0] as Tick) : batch;
        } else if (this.ended) {
          return;
        } else {
          await new Promise<void>((resolve) => (this.wake = resolve));
        }
      }
    } finally {
      // A consumer that stops reading is done with the gateway too.
      await this.close();
    }
  }

  stats(): WebSocketFeedStats {
    return {
      ...this.connection.stats(),
      deliveredTicks: this.delivered,
      bufferedTicks: this.buffer.size,
      droppedTicks: this.buffer.dropped,
    };
  }

  close(): Promise<void> {
    this.closed = true;
    this.buffer.clear();
    this.wakeReader();
    return this.connection.close();
  }

  private frameReceived(frame: InboundFrame): void {
    switch (frame.type) {
      case 'tick':
        return this.tickReceived(frame.tick);
      case 'error':
        return this.connection.reportMalformed(`gateway error ${frame.code}: ${frame.reason}`);
      case 'hello':
      case 'heartbeat':
      case 'ack':
      case 'reject':
      case 'fill':
      case 'cancelled':
      case 'orders':
      case 'positions':
        // Order traffic belongs to the broker's connection; a feed has no use for it.
        return;
    }
  }

  private tickReceived(tick: Tick): void {
    const problem = validateTick(tick, this.knownSymbols) ?? this.timeProblem(tick);
    if (problem !== null) {
      const symbol = typeof tick.symbol === 'string' ? tick.symbol : undefined;
      return this.connection.reportMalformed(`bad tick: ${problem}`, symbol);
    }
    this.lastTimes.set(tick.symbol, tick.time);
    this.buffer.push(tick);
    this.wakeReader();
  }

  private timeProblem(tick: Tick): string | null {
    const previous = this.lastTimes.get(tick.symbol);
    if (previous === undefined || tick.time >= previous) return null;
    return `time goes backwards for ${tick.symbol}: ${tick.time} is before ${previous}`;
  }

  private streamEnded(): void {
    this.ended = true;
    this.wakeReader();
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

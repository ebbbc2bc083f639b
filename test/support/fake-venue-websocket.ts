// A local stand-in for Kraken's public WebSocket API v2 (wss://ws.kraken.com/v2), the protocol
// ccxt.pro's kraken.js speaks for watchTicker: status on connect, subscribe acks, ticker snapshots
// and updates, heartbeats, ping/pong. Port 0; the test scripts the quotes and the faults.

import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

export interface FakeQuote {
  readonly bid?: number | undefined;
  readonly ask?: number | undefined;
  readonly bidQty?: number;
  readonly askQty?: number;
}

export interface FakeVenueWebSocketOptions {
  /** Symbols the venue lists (Kraken v2 names, which are ccxt's unified ones). */
  readonly symbols?: readonly string[];
  /** `{"channel":"heartbeat"}` this often on a subscribed connection; 0 = never (default 1000). */
  readonly heartbeatIntervalMs?: number;
  /** Send a snapshot of the current quote after each ticker subscription (default true). */
  readonly snapshot?: boolean;
}

/** One client connection and the ticker symbols it subscribed to. */
class Peer {
  readonly symbols = new Set<string>();
  heartbeat: NodeJS.Timeout | undefined;
  constructor(readonly socket: WebSocket) {}
}

export class FakeVenueWebSocket {
  /** Every JSON message received from any client, in arrival order. */
  readonly received: Record<string, unknown>[] = [];
  /** Connections accepted since start. */
  connectionsAccepted = 0;
  private readonly server: WebSocketServer;
  private readonly peers = new Set<Peer>();
  private readonly quotes = new Map<string, Required<FakeQuote>>();
  private readonly options: Required<FakeVenueWebSocketOptions>;
  private streamTimer: NodeJS.Timeout | undefined;

  private constructor(server: WebSocketServer, options: FakeVenueWebSocketOptions) {
    this.server = server;
    this.options = {
      symbols: options.symbols ?? ['BTC/USD', 'ETH/USD'],
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000,
      snapshot: options.snapshot ?? true,
    };
    for (const [index, symbol] of this.options.symbols.entries()) {
      const mid = index === 0 ? 50_000 : 2_500 * index;
      this.quotes.set(symbol, { bid: mid - 0.1, ask: mid + 0.1, bidQty: 2, askQty: 1 });
    }
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(options: FakeVenueWebSocketOptions = {}): Promise<FakeVenueWebSocket> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    return new FakeVenueWebSocket(server, options);
  }

  /** For ccxt.pro's `urls.api.ws.publicV2`: the path holds `v2`, which makes ccxt ping the v2 way. */
  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/v2`;
  }

  /** Open connections right now. */
  get openConnections(): number {
    return this.peers.size;
  }

  /** Symbols subscribed on the open connections. */
  subscribedSymbols(): string[] {
    return [...this.peers].flatMap((peer) => [...peer.symbols]).sort();
  }

  /** Sets a symbol's quote and sends it as a ticker update to every subscriber. */
  sendTicker(symbol: string, quote: FakeQuote, type: 'update' | 'snapshot' = 'update'): void {
    const current = this.quote(symbol);
    const sent = { ...current, ...quote };
    // A one-sided update is sent as such; the book keeps its last price for that side.
    this.quotes.set(symbol, {
      ...sent,
      bid: sent.bid ?? current.bid,
      ask: sent.ask ?? current.ask,
    });
    const message = JSON.stringify(tickerMessage(symbol, sent, type));
    for (const peer of this.peers) if (peer.symbols.has(symbol)) peer.socket.send(message);
  }

  /** Text as is, to every open connection (malformed frames, unknown channels). */
  sendRaw(text: string): void {
    for (const peer of this.peers) peer.socket.send(text);
  }

  /** Every `intervalMs`, each subscribed symbol's quote moves up one cent and is sent. */
  stream(intervalMs: number): void {
    this.stopStream();
    this.streamTimer = setInterval(() => {
      for (const symbol of new Set(this.subscribedSymbols())) {
        const quote = this.quote(symbol);
        this.sendTicker(symbol, { bid: cents(quote.bid + 0.01), ask: cents(quote.ask + 0.01) });
      }
    }, intervalMs);
  }

  stopStream(): void {
    clearInterval(this.streamTimer);
    this.streamTimer = undefined;
  }

  /** Cuts every connection without a close handshake, as a network failure would. */
  dropConnections(): void {
    for (const peer of this.peers) peer.socket.terminate();
  }

  quote(symbol: string): Required<FakeQuote> {
    const quote = this.quotes.get(symbol);
    if (quote === undefined) throw new Error(`the fake venue does not list ${symbol}`);
    return quote;
  }

  async close(): Promise<void> {
    this.stopStream();
    for (const peer of this.peers) {
      clearInterval(peer.heartbeat);
      peer.socket.terminate();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    const peer = new Peer(socket);
    this.peers.add(peer);
    this.connectionsAccepted += 1;
    socket.on('message', (data) => this.handle(peer, data));
    socket.on('close', () => {
      clearInterval(peer.heartbeat);
      this.peers.delete(peer);
    });
    socket.send(
      JSON.stringify({
        channel: 'status',
        type: 'update',
        data: [
          {
            version: '2.0.10',
            system: 'online',
            api_version: 'v2',
            connection_id: 6447481662169813000 + this.connectionsAccepted,
          },
        ],
      }),
    );
  }

  private handle(peer: Peer, data: RawData): void {
    const timeIn = new Date().toISOString();
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(rawText(data)) as Record<string, unknown>;
    } catch {
      return peer.socket.send(JSON.stringify({ error: 'Malformed request', method: 'error' }));
    }
    this.received.push(request);
    const reqId = request.req_id;
    const answer = (body: Record<string, unknown>): void =>
      peer.socket.send(
        JSON.stringify({
          ...body,
          time_in: timeIn,
          time_out: new Date().toISOString(),
          req_id: reqId,
        }),
      );
    if (request.method === 'ping') return answer({ method: 'pong' });
    if (request.method !== 'subscribe') {
      return answer({ method: request.method, success: false, error: 'Method not found' });
    }
    const params = (request.params ?? {}) as { channel?: unknown; symbol?: unknown };
    if (params.channel !== 'ticker' || !Array.isArray(params.symbol)) {
      return answer({ method: 'subscribe', success: false, error: 'Malformed request' });
    }
    for (const symbol of params.symbol as unknown[]) {
      if (typeof symbol !== 'string' || !this.quotes.has(symbol)) {
        answer({
          method: 'subscribe',
          success: false,
          error: `Currency pair not supported ${String(symbol)}`,
          symbol,
        });
        continue;
      }
      peer.symbols.add(symbol);
      const snapshot = this.options.snapshot;
      answer({
        method: 'subscribe',
        success: true,
        result: { channel: 'ticker', event_trigger: 'trades', snapshot, symbol },
      });
      if (snapshot) {
        peer.socket.send(JSON.stringify(tickerMessage(symbol, this.quote(symbol), 'snapshot')));
      }
    }
    this.startHeartbeat(peer);
  }

  private startHeartbeat(peer: Peer): void {
    if (peer.heartbeat !== undefined || this.options.heartbeatIntervalMs <= 0) return;
    peer.heartbeat = setInterval(
      () => peer.socket.send(JSON.stringify({ channel: 'heartbeat' })),
      this.options.heartbeatIntervalMs,
    );
  }
}

/** Kraken v2 ticker channel message; a side left undefined is left out, as on an empty book. */
function tickerMessage(symbol: string, quote: FakeQuote, type: 'update' | 'snapshot'): unknown {
  const last = quote.bid ?? quote.ask ?? 0;
  return {
    channel: 'ticker',
    type,
    data: [
      {
        symbol,
        ...(quote.bid === undefined ? {} : { bid: quote.bid, bid_qty: quote.bidQty ?? 1 }),
        ...(quote.ask === undefined ? {} : { ask: quote.ask, ask_qty: quote.askQty ?? 1 }),
        last,
        volume: 2158.32346723,
        vwap: last,
        low: last,
        high: last,
        change: 0,
        change_pct: 0,
      },
    ],
  };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function cents(value: number): number {
  return Math.round(value * 100) / 100;
}

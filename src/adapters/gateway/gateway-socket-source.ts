// Where a gateway connection's sockets come from: livegate dials the gateway (DiallingSocketSource),
// or the gateway dials in to livegate's listener (ListeningSocketSource). GatewayConnection speaks
// the same protocol over either; only getting the next open socket differs.

import type { RawData, WebSocket } from 'ws';
import { messageOf } from '../../core/message-of.js';
import { openGatewaySocket, type DialOptions } from './gateway-socket.js';
import { reconnectDelay } from './reconnect-delay.js';

/** A frame the source read before handing the socket over (a dial-in's authenticated hello). */
export interface EarlyFrame {
  readonly data: RawData;
  readonly isBinary: boolean;
}

/** One ask for the next socket: exactly one callback runs, unless the ask is withdrawn first. */
export interface SocketRequest {
  opened(socket: WebSocket, early: readonly EarlyFrame[]): void;
  /** No socket this time (the dial failed): the connection waits `retryDelayMs` and asks again. */
  failed(reason: string): void;
}

/** What a listening source tells its connection outside any request. */
export interface SocketSourceEvents {
  /** A dial-in was refused (wrong token, another gateway holds the session): counted, reported. */
  refused(detail: string): void;
  /** A newer dial-in of the same gateway replaces this socket: drop it now and ask again. */
  superseded(socket: WebSocket, detail: string): void;
}

export interface GatewaySocketSource {
  /** The venue name in reports and adapter names, without credentials. */
  readonly venue: string;
  /** The wait before asking again after a loss: a dialler backs off, a listener is ready at once. */
  retryDelayMs(attempt: number): number;
  request(callbacks: SocketRequest): void;
  /** Drops the ask in flight (the connection is closing). */
  withdraw(): void;
  /** Called once by the connection that uses this source. */
  attach(events: SocketSourceEvents): void;
}

/** livegate connects to the gateway's URL, backing off with jitter between failed attempts. */
export class DiallingSocketSource implements GatewaySocketSource {
  private pending: WebSocket | undefined;

  constructor(
    private readonly url: string,
    readonly venue: string,
    private readonly settings: {
      readonly requestTimeoutMs: number;
      readonly reconnect: { readonly initialDelayMs: number; readonly maxDelayMs: number };
    },
    private readonly dialOptions: DialOptions = {},
  ) {}

  retryDelayMs(attempt: number): number {
    return reconnectDelay(attempt, this.settings.reconnect);
  }

  request(callbacks: SocketRequest): void {
    let socket: WebSocket;
    try {
      socket = openGatewaySocket(this.url, this.settings.requestTimeoutMs, this.dialOptions);
    } catch (error) {
      callbacks.failed(messageOf(error));
      return;
    }
    this.pending = socket;
    let lastError: string | undefined;
    // Always listened to, even after the hand-over: an unheard 'error' would crash the process.
    socket.on('error', (error) => (lastError = error.message));
    const opened = () => {
      socket.off('close', closed);
      if (this.pending !== socket) return;
      this.pending = undefined;
      callbacks.opened(socket, []);
    };
    const closed = (code: number, reason: Buffer) => {
      socket.off('open', opened);
      if (this.pending !== socket) return;
      this.pending = undefined;
      callbacks.failed([`code ${code}`, reason.toString(), lastError].filter(Boolean).join(': '));
    };
    socket.once('open', opened);
    socket.once('close', closed);
  }

  withdraw(): void {
    const socket = this.pending;
    this.pending = undefined;
    socket?.terminate();
  }

  attach(): void {
    // A dialled gateway cannot be refused or superseded: nothing to tell.
  }
}

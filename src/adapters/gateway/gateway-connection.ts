// One gateway connection kept alive for a feed or a broker: hello, heartbeats both ways, stale and
// sequence-gap detection, malformed frames counted (never fatal), a new socket after every loss
// (dialled with jittered backoff, or the gateway's next dial-in), and a small bounded queue for
// requests made while disconnected.

import type { RawData, WebSocket } from 'ws';
import { messageOf } from '../../core/message-of.js';
import type { VenueReport } from '../../core/ports.js';
import {
  END_OF_STREAM_CLOSE_CODE,
  GATEWAY_PROTOCOL_VERSION,
  PROTOCOL_ERROR_CLOSE_CODE,
  REPLACED_CLOSE_CODE,
  STALE_CLOSE_CODE,
  encodeFrame,
  parseFrame,
  readEnvelope,
  type InboundFrame,
  type OutboundFrame,
} from './gateway-protocol.js';
import { closeSocket, textOf } from './gateway-socket.js';
import type { EarlyFrame, GatewaySocketSource } from './gateway-socket-source.js';
import { InboundSequence } from './inbound-sequence.js';
import { OutboundQueue } from './outbound-queue.js';

export interface GatewayConnectionHandlers {
  /** After each hello, before queued frames go out: resubscribe, re-send what is unfinished. */
  readonly onConnected: () => void;
  /** Every frame but hello and heartbeat, in arrival order, with its fields as received. */
  readonly onFrame: (frame: InboundFrame, raw: Readonly<Record<string, unknown>>) => void;
  /** A connection that had said hello is gone (a reconnect is already scheduled). */
  readonly onDisconnected?: () => void;
  /** The gateway closed with end-of-stream; given only by users that end on it (the feed). */
  readonly onEnded?: () => void;
  readonly report: (report: VenueReport) => void;
}

export interface GatewayConnectionStats {
  /** Connections that completed the hello, the first one included. */
  readonly connections: number;
  readonly connected: boolean;
  /** Frames that could not be used: not JSON, unknown type, bad fields, bad ticks. */
  readonly malformedMessages: number;
  readonly sequenceGaps: number;
  readonly staleStreams: number;
  readonly framesReceived: number;
  readonly framesSent: number;
  /** Requests waiting for a connection. */
  readonly queuedFrames: number;
  /** Dial-ins refused (wrong token, another gateway holding the session); 0 when dialling. */
  readonly refusedConnections: number;
  /** Sessions replaced by a newer dial-in of the same gateway; 0 when dialling. */
  readonly replacedSessions: number;
}

/** What the connection's timing needs; where sockets come from is the source's business. */
export interface GatewayConnectionTimings {
  readonly heartbeatIntervalMs: number;
  readonly staleAfterMs: number;
  readonly requestTimeoutMs: number;
}

type State = 'idle' | 'connecting' | 'greeting' | 'connected' | 'waiting' | 'ended' | 'closed';

const MAX_QUEUED_FRAMES = 256;
/** A gateway sending garbage in a loop must not flood the event bus: one report a second, counted. */
const MALFORMED_REPORT_INTERVAL_MS = 1000;

export class GatewayConnection {
  /** The URL without credentials, or the listen address: the `venue` of every report. */
  readonly venue: string;
  private state: State = 'idle';
  private socket: WebSocket | undefined;
  private outboundSeq = 0;
  private readonly inboundSequence = new InboundSequence();
  private lastFrameAt = 0;
  private attempt = 0;
  private outageReported = false;
  private lastError: string | undefined;
  private lostBecause = 'not connected yet';
  private readonly queued = new OutboundQueue(MAX_QUEUED_FRAMES);
  private readonly timers = new Set<NodeJS.Timeout>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastMalformedReportAt = -Infinity;
  private unreportedMalformed = 0;
  private closing: Promise<void> = Promise.resolve();
  private counts = {
    connections: 0,
    malformed: 0,
    gaps: 0,
    stale: 0,
    received: 0,
    sent: 0,
    refused: 0,
    replaced: 0,
  };

  constructor(
    private readonly settings: GatewayConnectionTimings,
    private readonly sockets: GatewaySocketSource,
    private readonly source: VenueReport['source'],
    private readonly handlers: GatewayConnectionHandlers,
  ) {
    this.venue = sockets.venue;
    sockets.attach({
      refused: (detail) => {
        this.counts.refused += 1;
        this.report('connection-refused', detail);
      },
      superseded: (socket, detail) => {
        if (socket !== this.socket) return;
        this.counts.replaced += 1;
        this.drop(REPLACED_CLOSE_CODE, detail);
      },
    });
  }

  get isConnected(): boolean {
    return this.state === 'connected';
  }

  /** Why there is no connection right now, for reject reasons. */
  get disconnectedBecause(): string {
    return this.lostBecause;
  }

  start(): void {
    if (this.state === 'idle') this.open();
  }

  /** Sends now, or returns false when not connected (orders: never queued). */
  send(frame: OutboundFrame): boolean {
    const socket = this.socket;
    if (this.state !== 'connected' || socket === undefined) return false;
    this.outboundSeq += 1;
    this.counts.sent += 1;
    socket.send(encodeFrame(frame, this.outboundSeq));
    return true;
  }

  /** Sends now, or holds the frame (one per key) until a connection or `expiresAt`; false when full. */
  sendOrQueue(key: string, frame: OutboundFrame, expiresAt: number): boolean {
    if (this.send(frame)) return true;
    if (this.state === 'closed' || this.state === 'ended') return false;
    return this.queued.put(key, frame, expiresAt);
  }

  unqueue(key: string): void {
    this.queued.remove(key);
  }

  /** Counts a frame that could not be used and reports it (at most one report a second). */
  reportMalformed(detail: string, symbol?: string): void {
    this.counts.malformed += 1;
    const now = performance.now();
    if (now - this.lastMalformedReportAt < MALFORMED_REPORT_INTERVAL_MS) {
      this.unreportedMalformed += 1;
      return;
    }
    const more =
      this.unreportedMalformed === 0
        ? ''
        : ` (${this.unreportedMalformed} more since the last report)`;
    this.unreportedMalformed = 0;
    this.lastMalformedReportAt = now;
    this.report('malformed-message', `${detail}${more}; ${this.counts.malformed} in total`, symbol);
  }

  /** Epoch ms of the last frame received, for `livegate status`. */
  lastReceivedAt: number | undefined;

  stats(): GatewayConnectionStats {
    const { connections, malformed, gaps, stale, received, sent, refused, replaced } = this.counts;
    return {
      connections,
      connected: this.isConnected,
      malformedMessages: malformed,
      sequenceGaps: gaps,
      staleStreams: stale,
      framesReceived: received,
      framesSent: sent,
      queuedFrames: this.queued.size,
      refusedConnections: refused,
      replacedSessions: replaced,
    };
  }

  close(): Promise<void> {
    if (this.state === 'closed') return this.closing;
    this.state = 'closed';
    this.lostBecause = 'closed';
    this.clearTimers();
    this.queued.clear();
    this.sockets.withdraw();
    const socket = this.socket;
    this.socket = undefined;
    this.closing = socket === undefined ? Promise.resolve() : closeSocket(socket, 1000, 'closing');
    return this.closing;
  }

  private open(): void {
    this.state = 'connecting';
    this.outboundSeq = 0;
    this.inboundSequence.reset();
    this.lastError = undefined;
    this.sockets.request({
      opened: (socket, early) => this.opened(socket, early),
      failed: (reason) => {
        if (this.state === 'connecting') this.lost(`cannot connect to ${this.venue} (${reason})`);
      },
    });
  }

  private opened(socket: WebSocket, early: readonly EarlyFrame[]): void {
    if (this.state !== 'connecting') {
      void closeSocket(socket, 1000, 'closing');
      return;
    }
    this.socket = socket;
    socket.on('message', (data, isBinary) => this.received(socket, data, isBinary));
    // Always listened to, even after the socket is dropped: an unheard 'error' would crash the process.
    socket.on('error', (error: Error & { code?: string }) => this.failed(socket, error));
    socket.on('close', (code, reason) => this.closedBySocket(socket, code, reason.toString()));
    this.state = 'greeting';
    this.lastFrameAt = performance.now();
    const timeout = this.settings.requestTimeoutMs;
    this.after(timeout, () => {
      if (this.state === 'greeting' && socket === this.socket) {
        this.drop(PROTOCOL_ERROR_CLOSE_CODE, `no hello from the gateway within ${timeout} ms`);
      }
    });
    for (const frame of early) this.received(socket, frame.data, frame.isBinary);
  }

  private received(socket: WebSocket, data: RawData, isBinary: boolean): void {
    if (socket !== this.socket) return;
    this.lastFrameAt = performance.now();
    this.counts.received += 1;
    this.lastReceivedAt = Date.now();
    if (isBinary) return this.unreadable('a binary frame (the protocol uses text frames)');
    const envelope = readEnvelope(textOf(data));
    if (typeof envelope === 'string') return this.unreadable(envelope);
    this.checkSequence(envelope.seq);
    const frame = parseFrame(envelope);
    if (typeof frame === 'string') return this.reportMalformed(frame);
    if (this.state === 'greeting') return this.greet(frame);
    if (frame.type === 'heartbeat') return;
    if (frame.type === 'hello') return this.reportMalformed('a second hello on one connection');
    this.run(() => this.handlers.onFrame(frame, envelope.record), frame.type);
  }

  private greet(frame: InboundFrame): void {
    if (frame.type !== 'hello') {
      return this.drop(PROTOCOL_ERROR_CLOSE_CODE, `expected hello first, got ${frame.type}`);
    }
    if (frame.protocol !== GATEWAY_PROTOCOL_VERSION) {
      const versions = `gateway speaks protocol ${frame.protocol}, livegate ${GATEWAY_PROTOCOL_VERSION}`;
      return this.drop(PROTOCOL_ERROR_CLOSE_CODE, versions);
    }
    this.clearTimers();
    this.state = 'connected';
    this.attempt = 0;
    this.outageReported = false;
    this.counts.connections += 1;
    this.report('connected', `gateway "${frame.gateway}", protocol ${frame.protocol}`);
    const { heartbeatIntervalMs } = this.settings;
    this.heartbeatTimer = setInterval(
      () => this.send({ type: 'heartbeat', time: Date.now(), intervalMs: heartbeatIntervalMs }),
      heartbeatIntervalMs,
    );
    this.armStaleCheck(this.settings.staleAfterMs);
    this.run(() => this.handlers.onConnected(), 'connect');
    this.flushQueue();
  }

  private checkSequence(seq: number): void {
    const problem = this.inboundSequence.check(seq);
    if (problem !== null) this.gap(problem);
  }

  private gap(detail: string): void {
    this.counts.gaps += 1;
    this.report('sequence-gap', detail);
  }

  private unreadable(detail: string): void {
    this.inboundSequence.unreadableFrame();
    this.reportMalformed(detail);
  }

  private armStaleCheck(delay: number, socket = this.socket): void {
    this.after(delay, () => {
      // Timers run before I/O: after a stall of our own (GC, a long batch), frames may be waiting
      // in the socket. Let them in before judging the gateway.
      setImmediate(() => this.checkStale(socket));
    });
  }

  private checkStale(socket: WebSocket | undefined): void {
    if (this.state !== 'connected' || socket !== this.socket) return;
    const silentFor = performance.now() - this.lastFrameAt;
    const limit = this.settings.staleAfterMs;
    if (silentFor < limit) return this.armStaleCheck(limit - silentFor, socket);
    this.counts.stale += 1;
    const detail = `nothing received for ${Math.round(silentFor)} ms (limit ${limit} ms)`;
    this.report('stale', detail);
    this.drop(STALE_CLOSE_CODE, `stale: ${detail}`);
  }

  private failed(socket: WebSocket, error: Error & { code?: string }): void {
    if (socket !== this.socket) return;
    this.lastError = error.message;
    // ws refuses oversized frames and invalid UTF-8 itself, then closes: count them like any bad frame.
    if (error.code?.startsWith('WS_ERR_') === true) this.reportMalformed(error.message);
  }

  private closedBySocket(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    if (code === END_OF_STREAM_CLOSE_CODE && this.handlers.onEnded !== undefined) {
      this.socket = undefined;
      this.state = 'ended';
      this.lostBecause = 'the gateway ended the stream';
      this.clearTimers();
      this.run(() => this.handlers.onEnded?.(), 'end');
      return;
    }
    const why = [`code ${code}`, reason, this.lastError].filter((part) => part).join(': ');
    this.lost(`connection to ${this.venue} lost (${why})`);
  }

  /** Ends this connection from our side (protocol error, stale stream) and reconnects. */
  private drop(code: number, detail: string): void {
    const socket = this.socket;
    this.lost(`dropped the connection to ${this.venue}: ${detail}`);
    if (socket !== undefined) void closeSocket(socket, code, detail);
  }

  private lost(detail: string): void {
    const wasConnected = this.state === 'connected';
    this.socket = undefined;
    this.clearTimers();
    this.lostBecause = detail;
    this.state = 'waiting';
    if (!this.outageReported) {
      this.outageReported = true;
      this.report('disconnected', detail);
    }
    if (wasConnected) this.run(() => this.handlers.onDisconnected?.(), 'disconnect');
    this.after(this.sockets.retryDelayMs(this.attempt++), () => this.open());
  }

  private flushQueue(): void {
    for (const frame of this.queued.takeUnexpired(performance.now())) this.send(frame);
  }

  private report(kind: VenueReport['kind'], detail: string, symbol?: string): void {
    const report: VenueReport = { source: this.source, venue: this.venue, kind, detail };
    try {
      this.handlers.report(symbol === undefined ? report : { ...report, symbol });
    } catch {
      // A listener that throws must not take the connection down; there is nowhere left to report it.
    }
  }

  /** Runs a handler so that its failure is counted and reported, never thrown into ws. */
  private run(handler: () => void, what: string): void {
    try {
      handler();
    } catch (error) {
      this.reportMalformed(`handling a ${what} frame failed: ${messageOf(error)}`);
    }
  }

  private after(delay: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delay);
    this.timers.add(timer);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }
}

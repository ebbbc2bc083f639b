// One Server-Sent Events aggregator shared by every console: engine events are folded into a few
// messages per interval here, once, however many clients listen. Never one message per tick.

import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { LivegateEvent } from '../core/events.js';
import type { EngineReport } from '../core/kill-switch-record.js';
import type { ControlMessage } from './control-messages.js';
import type { EngineView } from './engine-view.js';
import { describeError, fleetOf, killSwitchViewOf } from './routes/status-views.js';
import {
  denialsBetween,
  encode,
  stateKey,
  statsMessage,
  type Sample,
} from './routes/stream-messages.js';

/** How much stats history a newly opened console gets with its first messages. */
const HISTORY_MS = 5 * 60_000;

export interface ControlStreamOptions {
  readonly view: EngineView;
  /** Stats and denials aggregation period, ms. */
  readonly statsIntervalMs: number;
  /** Slots anyone may take; beyond, anonymous clients are refused (the route answers 503). */
  readonly maxClients: number;
  /**
   * Further slots only authenticated clients may take (they use shared ones once these are full):
   * however many anonymous clients connect, an operator's console still gets its stream. Default 0.
   */
  readonly maxReservedClients?: number;
  /** A comment line this often keeps proxies from timing the stream out. Default 15 s. */
  readonly keepAliveIntervalMs?: number;
  readonly logger?: FastifyBaseLogger;
}

/** A reader this far behind is stalled: drop it rather than buffer without bound. */
const MAX_CLIENT_BACKLOG_BYTES = 1 << 20;
/** How long close() lets a client's socket finish before destroying it. */
const CLOSE_GRACE_MS = 1_000;

/** Whether the client proved it holds a token (a stream ticket or a bearer header). */
export type StreamAccess = 'anonymous' | 'authenticated';

export class ControlStream {
  private readonly view: EngineView;
  private readonly statsIntervalMs: number;
  private readonly maxClients: number;
  private readonly maxReservedClients: number;
  private readonly keepAliveIntervalMs: number;
  private readonly logger: FastifyBaseLogger | undefined;
  private readonly clients = new Set<ServerResponse>();
  /** The clients among `clients` that hold a reserved slot. */
  private readonly reserved = new Set<ServerResponse>();
  private readonly unsubscribers: (() => void)[] = [];
  private timers: NodeJS.Timeout[] = [];
  private previous: Sample | undefined;
  /** Stats are sampled from the start, so a console opened later draws the last minutes at once. */
  private readonly statsTimer: NodeJS.Timeout;
  private readonly history: ControlMessage[] = [];
  private readonly historyLength: number;
  private lastStateKey = '';
  private heartbeatRunning = false;
  private heartbeatAgain = false;
  private closed = false;

  constructor(options: ControlStreamOptions) {
    this.view = options.view;
    this.statsIntervalMs = options.statsIntervalMs;
    this.maxClients = options.maxClients;
    this.maxReservedClients = options.maxReservedClients ?? 0;
    this.keepAliveIntervalMs = options.keepAliveIntervalMs ?? 15_000;
    this.logger = options.logger;
    this.historyLength = Math.ceil(HISTORY_MS / this.statsIntervalMs);
    this.previous = this.sample();
    // One summary and one latency snapshot a second, off the hot path.
    this.statsTimer = setInterval(
      () => this.guarded(() => this.publishInterval()),
      this.statsIntervalMs,
    );
    this.statsTimer.unref();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** False when closed or when no slot is left for `access`: the route answers 503 before writing. */
  hasRoom(access: StreamAccess = 'anonymous'): boolean {
    if (this.closed) return false;
    return (
      this.reservedSlotFree(access) || this.clients.size - this.reserved.size < this.maxClients
    );
  }

  /**
   * Takes a response whose SSE headers are written; sends it the state and a heartbeat at once.
   * False (and nothing written) when closed or full for `access`.
   */
  add(response: ServerResponse, access: StreamAccess = 'anonymous'): boolean {
    if (!this.hasRoom(access)) return false;
    if (this.reservedSlotFree(access)) this.reserved.add(response);
    this.clients.add(response);
    response.on('close', () => this.remove(response));
    // A write to a socket reset by the peer must not become an unhandled 'error'.
    response.on('error', () => this.remove(response));
    if (this.clients.size === 1) this.start();
    this.write(response, this.stateMessage());
    if (this.history.length > 0) {
      this.write(response, { type: 'history', time: Date.now(), stats: [...this.history] });
    }
    void this.heartbeatMessage()
      .then((message) => {
        if (this.clients.has(response)) this.write(response, message);
      })
      .catch((error: unknown) => this.failed(error));
    return true;
  }

  /** Ends every stream and stops listening; resolves once their sockets are done (or destroyed). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.statsTimer);
    const clients = [...this.clients];
    this.clients.clear();
    this.reserved.clear();
    this.stop();
    await Promise.all(clients.map((response) => endGracefully(response)));
  }

  private reservedSlotFree(access: StreamAccess): boolean {
    return access === 'authenticated' && this.reserved.size < this.maxReservedClients;
  }

  private remove(response: ServerResponse): void {
    this.reserved.delete(response);
    if (!this.clients.delete(response)) return;
    if (this.clients.size === 0) this.stop();
  }

  /** Listening and timers run only while someone is connected. */
  private start(): void {
    const { view } = this;
    this.lastStateKey = stateKey(this.stateMessage());
    this.unsubscribers.push(
      view.killSwitch.onChange(() => this.guarded(() => this.stateChanged())),
      view.on((event) => this.guarded(() => this.engineEvent(event))),
    );
    const keepAlive = setInterval(
      () => this.broadcastRaw(': keep-alive\n\n'),
      this.keepAliveIntervalMs,
    );
    keepAlive.unref();
    this.timers = [keepAlive];
  }

  private stop(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  /**
   * These run inside the kill switch's and the engine's own call stacks (or a timer): a fault in
   * the control plane must never surface there, nor crash the process.
   */
  private guarded(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.failed(error);
    }
  }

  private failed(error: unknown): void {
    this.logger?.error({ error: describeError(error) }, 'SSE aggregator failed');
  }

  /** onChange fires several times per change (pending, durable): send only what is new. */
  private stateChanged(): void {
    const message = this.stateMessage();
    const key = stateKey(message);
    if (key === this.lastStateKey) return;
    this.lastStateKey = key;
    this.broadcast(message);
  }

  private engineEvent(event: LivegateEvent): void {
    if (event.type === 'Heartbeat') this.publishHeartbeat(event.report);
    else if (event.type === 'RiskLimitBreached') {
      this.broadcast({
        type: 'risk',
        time: event.time,
        rule: event.rule,
        action: event.action,
        value: event.value,
        threshold: event.threshold,
        message: event.message,
      });
    }
  }

  /** One store read at a time; heartbeats arriving meanwhile are folded into one more. */
  private publishHeartbeat(ownReport: EngineReport): void {
    if (this.heartbeatRunning) {
      this.heartbeatAgain = true;
      return;
    }
    this.heartbeatRunning = true;
    void this.heartbeatMessage([ownReport])
      .then((message) => this.broadcast(message))
      .catch((error: unknown) => this.failed(error))
      .finally(() => {
        this.heartbeatRunning = false;
        const again = this.heartbeatAgain;
        this.heartbeatAgain = false;
        if (again && this.clients.size > 0) this.publishHeartbeat(ownReport);
      });
  }

  private publishInterval(): void {
    const before = this.previous;
    const now = this.sample();
    this.previous = now;
    if (before === undefined) return;
    const time = Date.now();
    const intervalMs = now.at - before.at;
    const stats = statsMessage(before, now, time);
    this.history.push(stats);
    if (this.history.length > this.historyLength) this.history.shift();
    this.broadcast(stats);
    const byCode = denialsBetween(before.summary.blocks, now.summary.blocks);
    if (Object.keys(byCode).length > 0) {
      this.broadcast({
        type: 'denials',
        time,
        intervalMs: Math.round(intervalMs),
        byCode,
        sinceStart: { ...now.summary.blocks },
      });
    }
  }

  private sample(): Sample {
    return {
      at: performance.now(),
      summary: this.view.summary(),
      latency: this.view.latency.snapshot(),
    };
  }

  private stateMessage(): ControlMessage {
    return { type: 'state', time: Date.now(), ...killSwitchViewOf(this.view.killSwitch) };
  }

  /** Falls back to what is known (this engine's own report) when the store cannot be read. */
  private async heartbeatMessage(fallback: readonly EngineReport[] = []): Promise<ControlMessage> {
    const { view } = this;
    let reports: readonly EngineReport[];
    try {
      reports = await view.store.listEngineReports();
    } catch (error) {
      this.logger?.warn(
        { error: describeError(error) },
        'SSE heartbeat: engine reports unreadable',
      );
      reports = fallback;
    }
    const time = Date.now();
    return {
      type: 'heartbeat',
      time,
      engines: fleetOf(reports, time, view.engineStaleAfterMs),
      risk: view.riskSnapshot() ?? null,
    };
  }

  private broadcast(message: ControlMessage): void {
    if (this.clients.size === 0) return;
    this.broadcastRaw(encode(message));
  }

  private broadcastRaw(chunk: string): void {
    for (const response of this.clients) this.writeRaw(response, chunk);
  }

  private write(response: ServerResponse, message: ControlMessage): void {
    this.writeRaw(response, encode(message));
  }

  private writeRaw(response: ServerResponse, chunk: string): void {
    if (response.writableEnded || response.destroyed) {
      this.remove(response);
      return;
    }
    if (response.writableLength > MAX_CLIENT_BACKLOG_BYTES) {
      this.logger?.warn('SSE client too far behind: disconnected');
      this.remove(response);
      response.destroy();
      return;
    }
    response.write(chunk);
  }
}

function endGracefully(response: ServerResponse): Promise<void> {
  if (response.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => response.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    response.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    response.end();
  });
}

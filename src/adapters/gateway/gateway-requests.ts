// Requests answered by the gateway (cancel, cancel-all, open-orders, positions): an id each, a
// deadline, and a second chance after a reconnect, since answers on a lost connection never come.

import { LivegateError } from '../../core/errors.js';
import type { GatewayConnection } from './gateway-connection.js';
import type { OutboundFrame } from './gateway-protocol.js';

export type RequestFrame = Extract<OutboundFrame, { requestId: string }>;

export interface PendingRequest {
  readonly frame: RequestFrame;
  /** cancel-all: `cancelled` frames that carried this request's id so far. */
  cancelled: number;
}

/** Sees every frame that carries the request's id, as received (the kill relay forwards them). */
export type AnswerObserver = (raw: Readonly<Record<string, unknown>>) => void;

interface Waiting extends PendingRequest {
  readonly deadline: number;
  readonly timer: NodeJS.Timeout;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: LivegateError) => void;
  readonly observer: AnswerObserver | undefined;
}

export class GatewayRequests {
  private readonly waiting = new Map<string, Waiting>();
  private nextNumber = 1;

  constructor(
    private readonly connection: GatewayConnection,
    private readonly timeoutMs: number,
    private readonly adapterName: string,
  ) {}

  /** Sends (or queues while disconnected) and resolves with what `answer` is given. */
  send<Answer>(
    build: (requestId: string) => RequestFrame,
    observer?: AnswerObserver,
  ): Promise<Answer> {
    const requestId = `r${this.nextNumber++}`;
    const frame = build(requestId);
    return new Promise<Answer>((resolve, reject) => {
      const deadline = performance.now() + this.timeoutMs;
      if (!this.connection.sendOrQueue(requestId, frame, deadline)) {
        const why = `not connected (${this.connection.disconnectedBecause}) and too many requests wait`;
        reject(this.failure(`${frame.type} not sent: ${why}`));
        return;
      }
      const timer = setTimeout(() => this.expire(requestId), this.timeoutMs);
      const entry: Waiting = {
        frame,
        cancelled: 0,
        deadline,
        timer,
        resolve: resolve as (value: unknown) => void,
        reject,
        observer,
      };
      this.waiting.set(requestId, entry);
    });
  }

  get(requestId: string | undefined): PendingRequest | undefined {
    return requestId === undefined ? undefined : this.waiting.get(requestId);
  }

  /** Shows a frame to the observer of the request it answers, before the request may settle. */
  observe(requestId: string | undefined, raw: Readonly<Record<string, unknown>>): void {
    if (requestId === undefined) return;
    this.waiting.get(requestId)?.observer?.(raw);
  }

  /** The id of a cancel request waiting for this order, if any. */
  cancelFor(clientOrderId: string): string | undefined {
    for (const [requestId, { frame }] of this.waiting) {
      if (frame.type === 'cancel' && frame.clientOrderId === clientOrderId) return requestId;
    }
    return undefined;
  }

  answer(requestId: string, value: unknown): void {
    this.take(requestId)?.resolve(value);
  }

  fail(requestId: string, message: string): void {
    this.take(requestId)?.reject(this.failure(message));
  }

  /** The connection is gone: queue every waiting request again for the next one. */
  requeueAll(): void {
    for (const [requestId, { frame, deadline }] of this.waiting) {
      this.connection.sendOrQueue(requestId, frame, deadline);
    }
  }

  failAll(message: string): void {
    for (const requestId of [...this.waiting.keys()]) this.fail(requestId, message);
  }

  private expire(requestId: string): void {
    const entry = this.waiting.get(requestId);
    if (entry === undefined) return;
    const state = this.connection.isConnected
      ? 'connected'
      : `not connected: ${this.connection.disconnectedBecause}`;
    this.fail(
      requestId,
      `no answer to ${entry.frame.type} (${requestId}) within ${this.timeoutMs} ms (${state})`,
    );
  }

  private take(requestId: string): Waiting | undefined {
    const entry = this.waiting.get(requestId);
    if (entry === undefined) return undefined;
    this.waiting.delete(requestId);
    clearTimeout(entry.timer);
    this.connection.unqueue(requestId);
    return entry;
  }

  private failure(message: string): LivegateError {
    return new LivegateError('ERR_BROKER_FAILED', `${this.adapterName}: ${message}`);
  }
}

// Requests awaiting the venue's answer (a cancel, a mass cancel, a mass status), each with its own
// id on the wire and a deadline; a late answer finds nothing and changes nothing.

import { randomBytes } from 'node:crypto';
import { LivegateError } from '../../core/errors.js';
import type { ExecutionReport } from './fix-messages.js';

export type FixRequestKind = 'cancel' | 'mass-cancel' | 'mass-status';

export interface FixRequest {
  readonly id: string;
  readonly kind: FixRequestKind;
  /** A cancel: livegate's order id it cancels. */
  readonly orderId: string | undefined;
  /** A mass status: the reports so far. */
  readonly reports: ExecutionReport[];
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class FixRequests {
  private readonly open = new Map<string, FixRequest & { timer: NodeJS.Timeout }>();
  /** Unique per broker and process, so two livegate sessions never reuse a request id. */
  private readonly prefix = `lg${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  private next = 0;

  constructor(
    readonly timeoutMs: number,
    private readonly name: string,
    /** Why no session is logged on, for a request that could not be sent. */
    private readonly downBecause: () => string,
  ) {}

  /** Opens a request; `send` puts it on the wire and says whether it went. */
  send<Value>(
    kind: FixRequestKind,
    send: (id: string) => boolean,
    orderId?: string,
  ): Promise<Value> {
    this.next += 1;
    const id = `${this.prefix}-${this.next}`;
    return new Promise<Value>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(id, `no answer to ${kind} ${id} within ${this.timeoutMs} ms`),
        this.timeoutMs,
      );
      this.open.set(id, {
        id,
        kind,
        orderId,
        reports: [],
        resolve: resolve,
        reject,
        timer,
      });
      if (!send(id)) {
        this.fail(id, `${kind} not sent: no FIX session is logged on (${this.downBecause()})`);
      }
    });
  }

  get(id: string | undefined): FixRequest | undefined {
    return id === undefined ? undefined : this.open.get(id);
  }

  /** The open cancel of an order, if any. */
  cancelFor(orderId: string): FixRequest | undefined {
    for (const request of this.open.values()) {
      if (request.kind === 'cancel' && request.orderId === orderId) return request;
    }
    return undefined;
  }

  has(kind: FixRequestKind): boolean {
    for (const request of this.open.values()) if (request.kind === kind) return true;
    return false;
  }

  answer(id: string, value: unknown): void {
    const request = this.open.get(id);
    if (request === undefined) return;
    this.open.delete(id);
    clearTimeout(request.timer);
    request.resolve(value);
  }

  fail(id: string, message: string): void {
    const request = this.open.get(id);
    if (request === undefined) return;
    this.open.delete(id);
    clearTimeout(request.timer);
    request.reject(new LivegateError('ERR_BROKER_FAILED', `${this.name}: ${message}`));
  }

  failAll(message: string): void {
    for (const id of [...this.open.keys()]) this.fail(id, message);
  }
}

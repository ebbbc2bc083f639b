// A broker double that behaves like a venue: submit() acknowledges and returns, fills come later
// and in parts, only when the test asks (never inside submit()), and cancels are reported back.

import type { Broker, BrokerListener } from '../../src/core/ports.js';
import type { Order } from '../../src/core/types.js';

interface Working {
  readonly order: Order;
  remaining: number;
}

export class LaterFillingBroker implements Broker {
  readonly name = 'later-filling';
  readonly submitted: Order[] = [];
  /** The most orders that were working at the venue at any one time. */
  mostWorkingAtOnce = 0;
  private listener: BrokerListener | undefined;
  private readonly working = new Map<string, Working>();

  connect(listener: BrokerListener): Promise<void> {
    this.listener = listener;
    return Promise.resolve();
  }

  submit(order: Order): void {
    this.submitted.push(order);
    this.working.set(order.id, { order, remaining: order.quantity });
    this.mostWorkingAtOnce = Math.max(this.mostWorkingAtOnce, this.working.size);
  }

  /** Gate 3 as a broker that queued the order would ask it just before sending (see mayDepart). */
  mayDepart(order: Order): boolean | undefined {
    return this.listener?.mayDepart?.(order);
  }

  /** Fills `quantity` of a working order (default: all that remains). */
  fill(orderId: string, quantity?: number): void {
    const working = this.working.get(orderId);
    if (working === undefined) throw new Error(`no working order ${orderId}`);
    const filled = quantity ?? working.remaining;
    working.remaining -= filled;
    if (working.remaining <= 0) this.working.delete(orderId);
    const { symbol, side } = working.order;
    this.listener?.onFill({ orderId, symbol, side, quantity: filled, price: 1.1, time: 0 });
  }

  /** Fills every working order completely, oldest first. */
  fillAll(): void {
    for (const orderId of [...this.working.keys()]) this.fill(orderId);
  }

  /** The venue refuses an order it acknowledged before. */
  reject(orderId: string): void {
    if (!this.working.delete(orderId)) throw new Error(`no working order ${orderId}`);
    this.listener?.onReject(orderId, 'VENUE_REJECTED');
  }

  /** The venue ends an order on its own (time in force ran out). */
  expire(orderId: string): void {
    if (!this.working.delete(orderId)) throw new Error(`no working order ${orderId}`);
    this.listener?.onOrderDone?.(orderId, 'expired');
  }

  cancel(orderId: string): Promise<boolean> {
    if (!this.working.delete(orderId)) return Promise.resolve(false);
    this.listener?.onOrderDone?.(orderId, 'cancelled');
    return Promise.resolve(true);
  }

  cancelAll(): Promise<number> {
    const ids = [...this.working.keys()];
    this.working.clear();
    for (const orderId of ids) this.listener?.onOrderDone?.(orderId, 'cancelled');
    return Promise.resolve(ids.length);
  }

  openOrders(): readonly Order[] {
    return [...this.working.values()].map((working) => working.order);
  }

  /** Ids of the orders working now, oldest first. */
  workingIds(): string[] {
    return [...this.working.keys()];
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

// Which orders are open, from the engine's events: submitted until a fill, reject or cancel-all.

import type { LivegateEvent } from '../../core/events.js';

export class OpenOrderTracker {
  private readonly open = new Set<string>();
  /**
   * A broker may reject inside submit(), so OrderRejected can precede the OrderSubmitted it closes
   * (the engine holds back only fills). Remember that one id so the submit does not open it.
   */
  private closedBeforeSubmit: string | undefined;

  get count(): number {
    return this.open.size;
  }

  has(orderId: string): boolean {
    return this.open.has(orderId);
  }

  /**
   * BrokerFailed is deliberately not a close: the order's fate is unknown, so it keeps counting
   * (fail closed) until a fill, a reject or a cancel-all says otherwise.
   */
  onEvent(event: LivegateEvent): void {
    if (event.type === 'OrderSubmitted') {
      if (event.order.id !== this.closedBeforeSubmit) this.open.add(event.order.id);
      this.closedBeforeSubmit = undefined;
    } else if (event.type === 'OrderFilled') {
      this.close(event.fill.orderId);
    } else if (event.type === 'OrderRejected') {
      this.close(event.orderId);
    } else if (event.type === 'OrdersCancelled') {
      this.open.clear();
      this.closedBeforeSubmit = undefined;
    }
  }

  /** Fills are whole in this model (a Fill carries the order's quantity), so one fill closes. */
  private close(orderId: string): void {
    if (!this.open.delete(orderId)) this.closedBeforeSubmit = orderId;
  }
}

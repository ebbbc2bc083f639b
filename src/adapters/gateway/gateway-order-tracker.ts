// The broker's view of its orders at the gateway: live ones (sent, maybe acknowledged, maybe partly
// filled), plus bounded memories of finished orders and seen fills so late or repeated frames are
// recognised as duplicates instead of surprises.

import type { Order } from '../../core/types.js';

export interface TrackedOrder {
  readonly order: Order;
  acknowledged: boolean;
  venueOrderId: string | undefined;
  filledQuantity: number;
}

/** Finished orders and fill ids remembered for duplicate detection. */
const REMEMBERED = 10_000;
/** Below this a remaining quantity is float noise left by fractional fills. */
const QUANTITY_EPSILON = 1e-9;

/** An insertion-ordered map that forgets its oldest entries past a limit. */
class RecentMap<Value> {
  private readonly entries = new Map<string, Value>();
  constructor(private readonly limit: number) {}

  get(key: string): Value | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  set(key: string, value: Value): void {
    this.entries.set(key, value);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }
}

export class GatewayOrderTracker {
  private readonly live = new Map<string, TrackedOrder>();
  /** Kept whole: a fill may still arrive for an order already cancelled (a race at the venue). */
  private readonly finished = new RecentMap<Order>(REMEMBERED);
  private readonly fillIds = new RecentMap<true>(REMEMBERED);

  get(clientOrderId: string): TrackedOrder | undefined {
    return this.live.get(clientOrderId);
  }

  /** Live or finished recently: its id must not be used again. */
  known(clientOrderId: string): boolean {
    return this.live.has(clientOrderId) || this.finished.has(clientOrderId);
  }

  finishedOrder(clientOrderId: string): Order | undefined {
    return this.finished.get(clientOrderId);
  }

  track(order: Order): void {
    this.live.set(order.id, {
      order,
      acknowledged: false,
      venueOrderId: undefined,
      filledQuantity: 0,
    });
  }

  finish(clientOrderId: string): void {
    const tracked = this.live.get(clientOrderId);
    if (tracked === undefined) return;
    this.live.delete(clientOrderId);
    this.finished.set(clientOrderId, tracked.order);
  }

  /** An order sent before (an earlier run's): finished here, its late fills still recognised. */
  remember(order: Order): void {
    if (!this.live.has(order.id)) this.finished.set(order.id, order);
  }

  /** Records a fill id; false when it was seen before (a re-sent fill). */
  firstFill(fillId: string): boolean {
    if (this.fillIds.has(fillId)) return false;
    this.fillIds.set(fillId, true);
    return true;
  }

  /** Adds a fill's quantity; true when the order is now completely filled. */
  addFill(tracked: TrackedOrder, quantity: number): boolean {
    tracked.filledQuantity += quantity;
    return tracked.order.quantity - tracked.filledQuantity < QUANTITY_EPSILON;
  }

  liveOrders(): TrackedOrder[] {
    return [...this.live.values()];
  }

  clear(): void {
    this.live.clear();
  }
}

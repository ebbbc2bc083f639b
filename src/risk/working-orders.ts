// Orders handed to the broker and not yet done, with what each can still add to its symbol's
// position. The gates (REDUCING) and the pre-trade chain (position, gross exposure, open orders)
// keep one each and count the same way: a venue fills later, so a resting order is exposure.

import type { Order, Side } from '../core/types.js';

/** One symbol's filled position and the remaining quantity of its working orders, by side. */
export interface SymbolExposure {
  /** Signed: positive long, negative short. */
  position: number;
  workingBuys: number;
  workingSells: number;
}

/** Below this a remaining quantity is float noise left by fractional fills. */
const QUANTITY_EPSILON = 1e-9;

interface WorkingOrder {
  readonly exposure: SymbolExposure;
  readonly side: Side;
  remaining: number;
}

/**
 * The position if every working order on `side` fills and none on the other side does: the worst
 * case in the direction an order of `side` pushes. Small enough for V8 to inline (no boxing).
 */
export function worstCaseBefore(exposure: SymbolExposure, side: Side): number {
  return side === 'buy'
    ? exposure.position + exposure.workingBuys
    : exposure.position - exposure.workingSells;
}

export class WorkingOrders {
  private readonly byId = new Map<string, WorkingOrder>();
  /**
   * A broker may reject or cancel inside submit(), before the order is recorded as submitted.
   * Remember that one id so the submit does not open an order that is already done.
   */
  private doneBeforeSubmit: string | undefined;

  constructor(private readonly exposureOf: (symbol: string) => SymbolExposure) {}

  /** Orders not yet done: a partly filled one still counts. */
  get count(): number {
    return this.byId.size;
  }

  /** True until its last fill, a reject, a cancel or an expiry. */
  isWorking(orderId: string): boolean {
    return this.byId.has(orderId);
  }

  submitted(order: Order): void {
    const doneAlready = order.id === this.doneBeforeSubmit;
    this.doneBeforeSubmit = undefined;
    if (doneAlready || this.byId.has(order.id)) return;
    const exposure = this.exposureOf(order.symbol);
    this.byId.set(order.id, { exposure, side: order.side, remaining: order.quantity });
    if (order.side === 'buy') exposure.workingBuys += order.quantity;
    else exposure.workingSells += order.quantity;
  }

  /**
   * Moves a fill's quantity out of working (the caller moves the position). A fill of an order
   * not working here (done already, or from before this run) changes only the position.
   */
  filled(orderId: string, quantity: number): void {
    const order = this.byId.get(orderId);
    if (order === undefined) return;
    const moved = quantity < order.remaining ? quantity : order.remaining;
    order.remaining -= moved;
    this.release(order, moved);
    if (order.remaining < QUANTITY_EPSILON) this.byId.delete(orderId);
  }

  /** Rejected, cancelled or expired: whatever remained will never fill. */
  done(orderId: string): void {
    const order = this.byId.get(orderId);
    if (order === undefined) {
      this.doneBeforeSubmit = orderId;
      return;
    }
    this.byId.delete(orderId);
    this.release(order, order.remaining);
  }

  private release(order: WorkingOrder, quantity: number): void {
    const exposure = order.exposure;
    // Snap float noise to zero, so a side with nothing working reads exactly 0.
    if (order.side === 'buy') {
      const left = exposure.workingBuys - quantity;
      exposure.workingBuys = left < QUANTITY_EPSILON ? 0 : left;
    } else {
      const left = exposure.workingSells - quantity;
      exposure.workingSells = left < QUANTITY_EPSILON ? 0 : left;
    }
  }
}

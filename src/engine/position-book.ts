// Signed positions per symbol, kept from fills, and the orders still working at the broker; gates 2
// and 3 ask it whether an order reduces exposure in the worst case of every working order.

import type { Fill, Order, Side } from '../core/types.js';
import { worstCaseBefore, WorkingOrders, type SymbolExposure } from '../risk/working-orders.js';

export class PositionBook {
  private readonly bySymbol = new Map<string, SymbolExposure>();
  private readonly working = new WorkingOrders((symbol) => this.exposure(symbol));

  position(symbol: string): number {
    return this.bySymbol.get(symbol)?.position ?? 0;
  }

  /** Orders handed to the broker and not yet filled, cancelled, expired or rejected. */
  get workingOrders(): number {
    return this.working.count;
  }

  /** The broker has the order: its quantity counts until it is done. */
  isWorking(orderId: string): boolean {
    return this.working.isWorking(orderId);
  }

  orderSubmitted(order: Order): void {
    this.working.submitted(order);
  }

  /** Rejected, cancelled or expired: its remaining quantity stops counting. */
  orderDone(orderId: string): void {
    this.working.done(orderId);
  }

  /** Applies a fill (moving its quantity from working to filled) and returns the new position. */
  apply(fill: Fill): number {
    const exposure = this.exposure(fill.symbol);
    exposure.position += fill.side === 'buy' ? fill.quantity : -fill.quantity;
    this.working.filled(fill.orderId, fill.quantity);
    return exposure.position;
  }

  /**
   * True when an order of this side and size moves the position toward zero without crossing it,
   * even if every working order on its side fills and none on the other does: a resting sell
   * counts against a new sell, a resting buy makes no room for one (it may never fill).
   */
  reducesExposure(symbol: string, side: Side, quantity: number): boolean {
    const exposure = this.bySymbol.get(symbol);
    if (exposure === undefined) return false;
    const worst = worstCaseBefore(exposure, side);
    if (side === 'sell') return worst > 0 && quantity <= worst;
    return worst < 0 && quantity <= -worst;
  }

  /**
   * What a flatten may still send in a symbol: the filled position less the working orders that
   * already close it. Signed like the order to send (negative: sell), 0 when nothing is left.
   */
  closingQuantity(symbol: string): number {
    const exposure = this.bySymbol.get(symbol);
    if (exposure === undefined) return 0;
    if (exposure.position > 0) return -Math.max(0, worstCaseBefore(exposure, 'sell'));
    if (exposure.position < 0) return Math.max(0, -worstCaseBefore(exposure, 'buy'));
    return 0;
  }

  /** Symbols with a position or working orders. */
  symbols(): IterableIterator<string> {
    return this.bySymbol.keys();
  }

  /** Sets a filled position outright: a restart taking over its journal's, or the venue's. */
  setPosition(symbol: string, quantity: number): void {
    this.exposure(symbol).position = quantity;
  }

  /** Filled positions by symbol (for reconciliation with the venue). */
  positions(): Map<string, number> {
    const positions = new Map<string, number>();
    for (const [symbol, exposure] of this.bySymbol) positions.set(symbol, exposure.position);
    return positions;
  }

  private exposure(symbol: string): SymbolExposure {
    let exposure = this.bySymbol.get(symbol);
    if (exposure === undefined) {
      exposure = { position: 0, workingBuys: 0, workingSells: 0 };
      this.bySymbol.set(symbol, exposure);
    }
    return exposure;
  }
}

// Signed positions per symbol, kept from fills; gate 2 and 3 ask it whether an order reduces exposure.

import type { Fill, Side } from '../core/types.js';

export class PositionBook {
  private readonly quantities = new Map<string, number>();

  position(symbol: string): number {
    return this.quantities.get(symbol) ?? 0;
  }

  /** Applies a fill and returns the new signed position. */
  apply(fill: Fill): number {
    const delta = fill.side === 'buy' ? fill.quantity : -fill.quantity;
    const next = this.position(fill.symbol) + delta;
    this.quantities.set(fill.symbol, next);
    return next;
  }

  /** True when an order of this side and size moves the position toward zero without crossing it. */
  reducesExposure(symbol: string, side: Side, quantity: number): boolean {
    const current = this.position(symbol);
    if (current === 0) return false;
    if (current > 0) return side === 'sell' && quantity <= current;
    return side === 'buy' && quantity <= -current;
  }

  entries(): IterableIterator<[string, number]> {
    return this.quantities.entries();
  }
}

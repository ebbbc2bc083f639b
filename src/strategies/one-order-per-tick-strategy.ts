// The original system's test strategy: one market order on every tick it sees.

import { LivegateError } from '../core/errors.js';
import type { Strategy } from '../core/ports.js';
import type { Side, Signal, Tick } from '../core/types.js';

export interface OneOrderPerTickStrategyOptions {
  /** Default 1. */
  readonly quantity?: number;
  /** Default 'buy'. */
  readonly side?: Side;
}

export class OneOrderPerTickStrategy implements Strategy {
  readonly name = 'one-order-per-tick';
  private readonly quantity: number;
  private readonly side: Side;
  /** One frozen signal per symbol: the strategy fires on every tick, so it must not allocate. */
  private readonly signals = new Map<string, Signal>();

  constructor(options: OneOrderPerTickStrategyOptions = {}) {
    const { quantity = 1, side = 'buy' } = options;
    if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity <= 0) {
      throw new LivegateError(
        'ERR_USAGE',
        `${this.name}: option "quantity" must be a positive number (got ${String(quantity)})`,
        { details: { option: 'quantity' } },
      );
    }
    if (side !== 'buy' && side !== 'sell') {
      throw new LivegateError(
        'ERR_USAGE',
        `${this.name}: option "side" must be "buy" or "sell" (got ${String(side)})`,
        { details: { option: 'side' } },
      );
    }
    this.quantity = quantity;
    this.side = side;
  }

  onTick(tick: Tick): Signal {
    let signal = this.signals.get(tick.symbol);
    if (signal === undefined) {
      signal = Object.freeze({
        symbol: tick.symbol,
        side: this.side,
        quantity: this.quantity,
        type: 'market',
      } satisfies Signal);
      this.signals.set(tick.symbol, signal);
    }
    return signal;
  }
}

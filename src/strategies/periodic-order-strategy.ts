// Benchmark load: a market order on every Nth tick, buying when flat or short and selling when long.

import { LivegateError } from '../core/errors.js';
import type { Strategy, StrategyContext } from '../core/ports.js';
import type { Signal, Tick } from '../core/types.js';

export interface PeriodicOrderStrategyOptions {
  /** Order on every Nth tick across all symbols (100 = ~1% of ticks). Default 100. */
  readonly every?: number;
  /** Default 1. */
  readonly quantity?: number;
}

interface SymbolSignals {
  readonly buy: Signal;
  readonly sell: Signal;
}

export class PeriodicOrderStrategy implements Strategy {
  readonly name = 'periodic';
  private readonly every: number;
  private readonly quantity: number;
  private ticksUntilOrder: number;
  /** Built once per symbol and frozen: the hot path hands out the same objects every time. */
  private readonly signals = new Map<string, SymbolSignals>();

  constructor(options: PeriodicOrderStrategyOptions = {}) {
    const { every = 100, quantity = 1 } = options;
    if (typeof every !== 'number' || !Number.isInteger(every) || every < 1) {
      throw optionError('every', 'a positive integer', every);
    }
    if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity <= 0) {
      throw optionError('quantity', 'a positive number', quantity);
    }
    this.every = every;
    this.quantity = quantity;
    this.ticksUntilOrder = every;
  }

  onTick(tick: Tick, context: StrategyContext): Signal | null {
    this.ticksUntilOrder -= 1;
    if (this.ticksUntilOrder > 0) return null;
    this.ticksUntilOrder = this.every;
    const signals = this.signals.get(tick.symbol) ?? this.buildSignals(tick.symbol);
    // Deciding from the position rather than a toggle keeps it bounded even when an order is
    // denied or rejected: the next order simply tries the same direction again.
    return context.position(tick.symbol) > 0 ? signals.sell : signals.buy;
  }

  private buildSignals(symbol: string): SymbolSignals {
    const make = (side: 'buy' | 'sell'): Signal =>
      Object.freeze({ symbol, side, quantity: this.quantity, type: 'market', tag: 'periodic' });
    const signals = Object.freeze({ buy: make('buy'), sell: make('sell') });
    this.signals.set(symbol, signals);
    return signals;
  }
}

function optionError(option: string, expected: string, value: unknown): LivegateError {
  return new LivegateError(
    'ERR_USAGE',
    `periodic: option "${option}" must be ${expected} (got ${String(value)})`,
    { details: { option } },
  );
}

// Trend follower: long when the fast moving average of mid prices crosses above the slow one, short below.

import { LivegateError } from '../core/errors.js';
import type { Strategy, StrategyContext } from '../core/ports.js';
import type { Signal, Tick } from '../core/types.js';

export interface MovingAverageCrossoverStrategyOptions {
  /** Ticks in the fast average. Default 10. */
  readonly fast?: number;
  /** Ticks in the slow average; must exceed fast. Default 30. */
  readonly slow?: number;
  /** Target position size after a cross. Default 1. */
  readonly quantity?: number;
}

/** Per-symbol window: one ring of the last `slow` mids serves both averages. */
interface Window {
  readonly mids: Float64Array;
  /** Slot the next mid goes into. */
  next: number;
  /** Mids held, up to `slow`. */
  count: number;
  fastSum: number;
  slowSum: number;
  /** Sign of fast − slow at the last non-tied reading; 0 before the first one. */
  trend: -1 | 0 | 1;
}

/** Averages closer than this (relative) count as tied, so rounding noise is never a cross. */
const TIE_TOLERANCE = 1e-12;

export class MovingAverageCrossoverStrategy implements Strategy {
  readonly name = 'ma-crossover';
  private readonly fast: number;
  private readonly slow: number;
  private readonly quantity: number;
  private readonly windows = new Map<string, Window>();
  /** Ticks often repeat a symbol; remembering the last window skips a map lookup. */
  private lastSymbol: string | undefined;
  private lastWindow: Window | undefined;

  constructor(options: MovingAverageCrossoverStrategyOptions = {}) {
    const { fast = 10, slow = 30, quantity = 1 } = options;
    if (typeof fast !== 'number' || !Number.isInteger(fast) || fast < 1) {
      throw optionError('fast', 'must be a positive integer', fast);
    }
    if (typeof slow !== 'number' || !Number.isInteger(slow) || slow <= fast) {
      throw optionError('slow', `must be an integer greater than fast (${fast})`, slow);
    }
    if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity <= 0) {
      throw optionError('quantity', 'must be a positive number', quantity);
    }
    this.fast = fast;
    this.slow = slow;
    this.quantity = quantity;
  }

  onTick(tick: Tick, context: StrategyContext): Signal | null {
    const window = this.windowFor(tick.symbol);
    this.push(window, (tick.bid + tick.ask) / 2);
    if (window.count < this.slow) return null;
    const fastAverage = window.fastSum / this.fast;
    const slowAverage = window.slowSum / this.slow;
    const difference = fastAverage - slowAverage;
    if (Math.abs(difference) <= TIE_TOLERANCE * Math.abs(slowAverage)) return null;
    const trend = difference > 0 ? 1 : -1;
    if (trend === window.trend) return null;
    const isFirstReading = window.trend === 0;
    window.trend = trend;
    // The first reading is where the averages already stand, not a cross: no trade on warm-up.
    if (isFirstReading) return null;
    const change = trend * this.quantity - context.position(tick.symbol);
    if (change === 0) return null;
    return {
      symbol: tick.symbol,
      side: change > 0 ? 'buy' : 'sell',
      quantity: Math.abs(change),
      type: 'market',
      tag: trend > 0 ? 'ma-cross-up' : 'ma-cross-down',
    };
  }

  private windowFor(symbol: string): Window {
    if (symbol === this.lastSymbol && this.lastWindow !== undefined) return this.lastWindow;
    let window = this.windows.get(symbol);
    if (window === undefined) {
      window = {
        mids: new Float64Array(this.slow),
        next: 0,
        count: 0,
        fastSum: 0,
        slowSum: 0,
        trend: 0,
      };
      this.windows.set(symbol, window);
    }
    this.lastSymbol = symbol;
    this.lastWindow = window;
    return window;
  }

  private push(window: Window, mid: number): void {
    const { mids } = window;
    const slot = window.next;
    if (window.count >= this.fast)
      window.fastSum -= mids[(slot - this.fast + this.slow) % this.slow] ?? 0;
    if (window.count >= this.slow) window.slowSum -= mids[slot] ?? 0;
    mids[slot] = mid;
    window.fastSum += mid;
    window.slowSum += mid;
    window.next = (slot + 1) % this.slow;
    if (window.count < this.slow) window.count += 1;
    // Running sums gather rounding error over millions of ticks; re-add them once per lap of the ring.
    if (window.next === 0 && window.count === this.slow) this.resum(window);
  }

  private resum(window: Window): void {
    let slowSum = 0;
    let fastSum = 0;
    for (let age = 0; age < this.slow; age += 1) {
      const mid = window.mids[(window.next - 1 - age + this.slow) % this.slow] ?? 0;
      slowSum += mid;
      if (age < this.fast) fastSum += mid;
    }
    window.slowSum = slowSum;
    window.fastSum = fastSum;
  }
}

function optionError(option: string, problem: string, value: unknown): LivegateError {
  return new LivegateError(
    'ERR_USAGE',
    `ma-crossover: option "${option}" ${problem} (got ${String(value)})`,
    {
      details: { option },
    },
  );
}

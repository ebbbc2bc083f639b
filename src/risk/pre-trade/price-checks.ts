// Checks against the latest mid: a reference must exist, limit prices stay inside the collar, notional.

import type { Signal } from '../../core/types.js';
import { denial, type PreTradeDenialOf } from './pre-trade-codes.js';
import { exceeds } from './float-grid.js';
import type { SymbolState } from './symbol-state.js';

/** Fail closed: a market order, or a collared limit order, needs a mid to be judged. */
export function referenceDenial(signal: Signal, state: SymbolState): PreTradeDenialOf | null {
  if (state.mid > 0) return null;
  if (signal.type !== 'limit') {
    return denial('NO_REFERENCE_PRICE', { symbol: state.symbol, check: 'market' });
  }
  if (state.limits.collarEnabled) {
    return denial('NO_REFERENCE_PRICE', { symbol: state.symbol, check: 'collar' });
  }
  return null;
}

/** Limit orders only, after referenceDenial; both bounds apply when both are set. */
export function collarDenial(signal: Signal, state: SymbolState): PreTradeDenialOf | null {
  const limits = state.limits;
  if (!limits.collarEnabled) return null;
  const price = signal.price as number;
  const mid = state.mid;
  const distance = Math.abs(price - mid);
  const percent = (distance / mid) * 100;
  if (exceeds(percent, limits.collarPercent)) {
    return denial('PRICE_COLLAR_BREACHED', {
      limit: limits.collarPercent,
      actual: percent,
      unit: 'percent',
      referencePrice: mid,
      price,
    });
  }
  const ticks = distance / limits.tickSize;
  if (exceeds(ticks, limits.collarTicks)) {
    return denial('PRICE_COLLAR_BREACHED', {
      limit: limits.collarTicks,
      actual: ticks,
      unit: 'ticks',
      referencePrice: mid,
      price,
    });
  }
  return null;
}

export function notionalDenial(signal: Signal, state: SymbolState): PreTradeDenialOf | null {
  const limit = state.limits.maxOrderNotional;
  const minimum = state.limits.minOrderNotional;
  if (limit === Infinity && minimum === 0) return null;
  // Each branch multiplies on its own: a variable holding either the signal's price or the mid
  // can make V8 box the mid on the heap.
  const notional =
    signal.type === 'limit'
      ? signal.quantity * (signal.price as number)
      : signal.quantity * state.mid;
  if (notional < minimum) {
    return denial('MIN_NOTIONAL_NOT_MET', {
      limit: minimum,
      actual: notional,
      price: signal.type === 'limit' ? (signal.price as number) : state.mid,
    });
  }
  if (!exceeds(notional, limit)) return null;
  return denial('MAX_NOTIONAL_EXCEEDED', {
    limit,
    actual: notional,
    price: signal.type === 'limit' ? (signal.price as number) : state.mid,
    quantity: signal.quantity,
  });
}

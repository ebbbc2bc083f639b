// Cheap structural checks on a strategy's signal before it may become an order (gate 2).

import type { Signal } from '../core/types.js';

/** Returns what is wrong with a signal, or null. Runs on every signal, so it only compares. */
export function signalProblem(signal: Signal): string | null {
  if (typeof signal !== 'object' || signal === null) return 'signal is not an object';
  if (typeof signal.symbol !== 'string' || signal.symbol.length === 0) return 'symbol is missing';
  if (signal.side !== 'buy' && signal.side !== 'sell') return 'side must be buy or sell';
  const quantity = signal.quantity;
  if (typeof quantity !== 'number' || !(quantity > 0) || quantity === Infinity) {
    return 'quantity must be a positive finite number';
  }
  if (signal.type === 'limit') {
    const price = signal.price;
    if (typeof price !== 'number' || !(price > 0) || price === Infinity) {
      return 'limit price must be a positive finite number';
    }
  } else if (signal.type !== 'market') {
    return 'type must be market or limit';
  }
  return null;
}

// Checks that need only the order and its symbol's limits: instrument, quantity, price grid.
// Checks take objects and read their own numbers: a double passed to a call V8 did not inline is
// boxed on the heap, and the accept path must not allocate. Hence the inline grid formula too.

import type { Signal } from '../../core/types.js';
import { denial, reported, type PreTradeDenialOf } from './pre-trade-codes.js';
import { exceeds, fallsShort, GRID_FLOOR, GRID_RELATIVE } from './float-grid.js';
import type { ResolvedSymbolLimits } from './resolved-limits.js';
import type { SymbolState } from './symbol-state.js';

export function unknownInstrument(symbol: string, knownSymbols: number): PreTradeDenialOf {
  return denial('UNKNOWN_INSTRUMENT', { symbol, knownSymbols });
}

export function instrumentDenial(
  state: SymbolState,
  knownSymbols: number,
): PreTradeDenialOf | null {
  // Restricted first: it is the more specific reason when a symbol is both.
  if (state.restricted) return denial('RESTRICTED_SYMBOL', { symbol: state.symbol });
  if (!state.known) return unknownInstrument(state.symbol, knownSymbols);
  return null;
}

export function quantityDenial(
  signal: Signal,
  limits: ResolvedSymbolLimits,
): PreTradeDenialOf | null {
  const quantity = signal.quantity;
  // typeof guards a JavaScript strategy's '5'; the engine's signal check usually got there first.
  if (typeof quantity !== 'number' || !(quantity > 0) || quantity === Infinity) {
    return denial('INVALID_QUANTITY', { actual: reported(quantity) });
  }
  const lots = quantity / limits.lotSize;
  if (Math.abs(lots - Math.round(lots)) > Math.max(GRID_FLOOR, Math.abs(lots) * GRID_RELATIVE)) {
    return denial('QUANTITY_NOT_LOT_MULTIPLE', { limit: limits.lotSize, actual: quantity });
  }
  if (fallsShort(quantity, limits.minQuantity)) {
    return denial('QUANTITY_BELOW_MIN', { limit: limits.minQuantity, actual: quantity });
  }
  if (exceeds(quantity, limits.maxQuantity)) {
    return denial('MAX_ORDER_QUANTITY_EXCEEDED', { limit: limits.maxQuantity, actual: quantity });
  }
  return null;
}

/** For limit orders only: market orders carry no price of their own. */
export function limitPriceDenial(
  signal: Signal,
  limits: ResolvedSymbolLimits,
): PreTradeDenialOf | null {
  const price = signal.price;
  if (typeof price !== 'number' || !(price > 0) || price === Infinity) {
    return denial('INVALID_PRICE', { actual: reported(price) });
  }
  const ticks = price / limits.tickSize;
  if (Math.abs(ticks - Math.round(ticks)) > Math.max(GRID_FLOOR, Math.abs(ticks) * GRID_RELATIVE)) {
    return denial('PRICE_OFF_TICK_GRID', { limit: limits.tickSize, actual: price });
  }
  return null;
}

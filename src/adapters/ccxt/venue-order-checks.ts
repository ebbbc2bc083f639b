// Local checks before an order goes to the venue: ccxt would silently truncate a quantity and
// round a price to the venue's grid, so an order off the grid is refused here instead.

import type { Order } from '../../core/types.js';
import type { CcxtVenue } from './ccxt-venue.js';

const GRID_TOLERANCE = 1e-9;

/** `CODE: detail` for a reject, or null when the order may be sent. */
export function validateVenueOrder(venue: CcxtVenue, order: Order): string | null {
  if (!venue.symbols.includes(order.symbol)) {
    return `INVALID_SYMBOL: "${order.symbol}" is not configured for ${venue.name}`;
  }
  if (order.side !== 'buy' && order.side !== 'sell') return `INVALID_SIDE: ${String(order.side)}`;
  if (order.type !== 'market' && order.type !== 'limit') {
    return `INVALID_ORDER_TYPE: ${String(order.type)}`;
  }
  if (!(Number.isFinite(order.quantity) && order.quantity > 0)) {
    return `INVALID_QUANTITY: must be a positive number, got ${order.quantity}`;
  }
  if (order.type === 'limit') {
    if (order.price === undefined) return 'LIMIT_PRICE_REQUIRED: a limit order needs a price';
    if (!(Number.isFinite(order.price) && order.price > 0)) {
      return `INVALID_PRICE: must be a positive number, got ${order.price}`;
    }
  }
  return offGrid(venue, order);
}

function offGrid(venue: CcxtVenue, order: Order): string | null {
  const exchange = venue.exchange;
  try {
    const amount = Number(exchange.amountToPrecision(order.symbol, order.quantity));
    if (!near(amount, order.quantity)) {
      return `INVALID_QUANTITY: ${order.quantity} is not on ${venue.name}'s lot grid for ${order.symbol} (would be sent as ${amount})`;
    }
    if (order.type === 'limit' && order.price !== undefined) {
      const price = Number(exchange.priceToPrecision(order.symbol, order.price));
      if (!near(price, order.price)) {
        return `INVALID_PRICE: ${order.price} is not on ${venue.name}'s tick grid for ${order.symbol} (would be sent as ${price})`;
      }
    }
  } catch (error) {
    // ccxt refuses amounts below one precision step outright.
    return `INVALID_QUANTITY: ${error instanceof Error ? error.message : String(error)}`;
  }
  return null;
}

function near(actual: number, wanted: number): boolean {
  return Math.abs(actual - wanted) <= Math.abs(wanted) * GRID_TOLERANCE;
}

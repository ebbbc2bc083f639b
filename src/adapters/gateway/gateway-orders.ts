// What the broker sends for an order, and the checks that keep a bad one from ever reaching the gateway.

import type { Order } from '../../core/types.js';
import type { OutboundFrame } from './gateway-protocol.js';

export function orderFrame(order: Order): OutboundFrame {
  const { id, symbol, side, quantity, type, price } = order;
  const frame = {
    type: 'order',
    clientOrderId: id,
    symbol,
    side,
    quantity,
    orderType: type,
  } as const;
  return price === undefined ? frame : { ...frame, price };
}

/** Checked here so a bad order never reaches the gateway; the same codes as the paper broker. */
export function orderProblem(order: Order): string | null {
  if (typeof order.symbol !== 'string' || order.symbol.length === 0) return 'INVALID_SYMBOL';
  if (order.side !== 'buy' && order.side !== 'sell') return 'INVALID_SIDE';
  if (order.type !== 'market' && order.type !== 'limit') return 'INVALID_ORDER_TYPE';
  if (!(Number.isFinite(order.quantity) && order.quantity > 0)) return 'INVALID_QUANTITY';
  if (order.type === 'limit') {
    if (order.price === undefined) return 'LIMIT_PRICE_REQUIRED';
    if (!(Number.isFinite(order.price) && order.price > 0)) return 'INVALID_PRICE';
  }
  return null;
}

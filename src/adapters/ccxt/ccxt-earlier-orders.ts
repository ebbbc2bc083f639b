// A restarted ccxt engine's earlier runs' orders: known by their client order ids (the same
// derivation from the engine id), found among the venue's open orders, cancelled by venue id.

import type { Order as VenueOrder } from 'ccxt';
import type { EarlierOrderOutcome, EarlierOrders } from '../../core/ports.js';
import type { Order, Side } from '../../core/types.js';
import { cancelEarlierOrders } from '../cancel-earlier-orders.js';
import { clientOrderIdFor } from './ccxt-order-tracker.js';
import type { CcxtVenue } from './ccxt-venue.js';
import { acrossSymbols } from './venue-calls.js';

interface ListedVenueOrder {
  readonly venueOrderId: string;
  readonly clientOrderId: string | undefined;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
}

export class CcxtEarlierOrders {
  private readonly byClientId = new Map<string, Order>();

  constructor(
    private readonly venue: CcxtVenue,
    private readonly namespace: string,
    /** Runs a venue call with the broker's retries and rate limit. */
    private readonly call: <T>(what: string, work: () => Promise<T>) => Promise<T>,
  ) {}

  recognise(earlier: EarlierOrders): void {
    for (const order of earlier.orders) {
      this.byClientId.set(clientOrderIdFor(this.namespace, order.id), order);
    }
  }

  cancel(): Promise<EarlierOrderOutcome[]> {
    if (this.byClientId.size === 0) return Promise.resolve([]);
    const { exchange } = this.venue;
    return cancelEarlierOrders<ListedVenueOrder>({
      list: () =>
        this.call('reading open orders', () =>
          acrossSymbols(exchange, 'fetchOpenOrders', this.venue.symbols, (symbol) =>
            exchange.fetchOpenOrders(symbol),
          ),
        ).then((orders) => orders.flatMap((order) => listed(order) ?? [])),
      earlierOrder: (clientOrderId) => this.byClientId.get(clientOrderId),
      cancel: (order) =>
        this.call(`cancelling an earlier run's order ${order.venueOrderId}`, () =>
          exchange.cancelOrder(order.venueOrderId, order.symbol),
        ),
    });
  }
}

function listed(order: VenueOrder): ListedVenueOrder | undefined {
  const { id, symbol, side } = order;
  if (id === undefined || symbol === undefined || (side !== 'buy' && side !== 'sell')) return;
  return {
    venueOrderId: id,
    clientOrderId: order.clientOrderId,
    symbol,
    side,
    quantity: order.remaining ?? order.amount ?? 0,
  };
}

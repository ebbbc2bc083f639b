// The ccxt venue as a kill reaches it, with no engine: cancel-all, open orders, trades and
// positions read straight from the venue (credentials of its own, a cancel-only key where offered).

import type { Order, Trade } from 'ccxt';
import type {
  CancelScope,
  VenueCanceller,
  VenueOpenOrder,
  VenuePosition,
  VenueTrade,
} from '../../core/ports.js';
import { isLivegateClientOrderId } from './ccxt-order-tracker.js';
import { comparableBaseCurrencies, readBalances } from './ccxt-reconciliation.js';
import type { CcxtVenue } from './ccxt-venue.js';
import { acrossSymbols, cancelAllAtVenue } from './venue-calls.js';

export class CcxtVenueCanceller implements VenueCanceller {
  readonly name: string;

  constructor(private readonly venue: CcxtVenue) {
    this.name = `ccxt:${venue.name}`;
  }

  async cancelAll(scope: CancelScope): Promise<number> {
    await this.venue.load();
    const exchange = this.venue.exchange;
    const open = await this.openOrders();
    const targets = scope === 'account' ? open : open.filter((order) => order.own);
    if (targets.length === 0) return 0;
    if (scope === 'account' && exchange.has.cancelAllOrders === true) {
      await cancelAllAtVenue(exchange, this.venue.symbols);
      return targets.length;
    }
    // `own`, or a venue without cancel-all: one cancel per order (a venue's cancel-all cannot
    // tell livegate's orders from anyone else's).
    let cancelled = 0;
    for (const order of targets) {
      await exchange.cancelOrder(order.venueOrderId, order.symbol);
      cancelled += 1;
    }
    return cancelled;
  }

  async openOrders(): Promise<VenueOpenOrder[]> {
    await this.venue.load();
    const exchange = this.venue.exchange;
    const orders: Order[] = await acrossSymbols(
      exchange,
      'fetchOpenOrders',
      this.venue.symbols,
      (symbol) => exchange.fetchOpenOrders(symbol),
    );
    return orders.map((order) => ({
      venueOrderId: String(order.id),
      ...(order.clientOrderId ? { clientOrderId: order.clientOrderId } : {}),
      symbol: order.symbol ?? '',
      side: order.side === 'sell' ? 'sell' : 'buy',
      // What is still working: an order part-filled before the kill is open for the rest.
      quantity: order.remaining ?? order.amount ?? 0,
      ...(typeof order.price === 'number' ? { price: order.price } : {}),
      own: isLivegateClientOrderId(order.clientOrderId),
    }));
  }

  async tradesSince(time: number): Promise<VenueTrade[] | undefined> {
    const exchange = this.venue.exchange;
    if (exchange.has.fetchMyTrades !== true) return undefined;
    await this.venue.load();
    const trades: Trade[] = await acrossSymbols(
      exchange,
      'fetchMyTrades',
      this.venue.symbols,
      (symbol) => exchange.fetchMyTrades(symbol, time),
    );
    return trades
      .filter((trade) => (trade.timestamp ?? 0) >= time)
      .map((trade) => ({
        tradeId: String(trade.id),
        ...(trade.order === undefined ? {} : { venueOrderId: trade.order }),
        symbol: trade.symbol ?? '',
        side: trade.side === 'sell' ? 'sell' : 'buy',
        quantity: trade.amount ?? 0,
        price: trade.price ?? 0,
        time: trade.timestamp ?? 0,
      }));
  }

  /** Spot: the total balance of each configured symbol's base currency (what a position is there). */
  async positions(): Promise<VenuePosition[] | undefined> {
    if (this.venue.exchange.has.fetchBalance !== true) return undefined;
    await this.venue.load();
    const groups = comparableBaseCurrencies(this.venue);
    if (groups.size === 0) return undefined;
    const balances = await readBalances(this.venue, groups.keys());
    return [...balances].map(([currency, quantity]) => ({ symbol: currency, quantity }));
  }

  close(): Promise<void> {
    return this.venue.close();
  }
}

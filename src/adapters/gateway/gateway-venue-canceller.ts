// The gateway's account as a kill reaches it, with no engine: a connection of its own sends
// cancel-all (or one cancel per livegate order) and reads open orders and positions back.

import type {
  CancelScope,
  VenueCanceller,
  VenueOpenOrder,
  VenuePosition,
  VenueTrade,
} from '../../core/ports.js';
import type { WebSocketBroker } from './websocket-broker.js';

/** Ignores everything: this connection places nothing and follows no order. */
const SILENT = {
  onFill: () => undefined,
  onReject: () => undefined,
  onOrderDone: () => undefined,
};

export class GatewayVenueCanceller implements VenueCanceller {
  readonly name: string;
  private broker: WebSocketBroker;
  private connecting: Promise<void> | undefined;

  /** `open` makes a fresh broker: one that failed to connect cannot be connected again. */
  constructor(private readonly open: () => WebSocketBroker) {
    this.broker = open();
    this.name = this.broker.name;
  }

  async cancelAll(scope: CancelScope): Promise<number> {
    await this.connected();
    if (scope === 'account') return this.broker.cancelAll();
    // The protocol's cancel-all takes the whole account: livegate's own orders one by one (only
    // livegate's orders carry a clientOrderId; orders placed by hand have none).
    let cancelled = 0;
    for (const order of await this.openOrders()) {
      if (order.clientOrderId === undefined) continue;
      if (await this.broker.cancel(order.clientOrderId)) cancelled += 1;
    }
    return cancelled;
  }

  async openOrders(): Promise<VenueOpenOrder[]> {
    await this.connected();
    return (await this.broker.venueOpenOrders()).map((order) => ({
      venueOrderId: order.venueOrderId,
      ...(order.clientOrderId === undefined ? {} : { clientOrderId: order.clientOrderId }),
      symbol: order.symbol,
      side: order.side,
      quantity: order.quantity,
      ...(order.price === undefined ? {} : { price: order.price }),
      own: order.clientOrderId !== undefined,
    }));
  }

  /** The gateway protocol has no trade history: fills that raced the cancel cannot be listed. */
  tradesSince(): Promise<VenueTrade[] | undefined> {
    return Promise.resolve(undefined);
  }

  async positions(): Promise<VenuePosition[] | undefined> {
    await this.connected();
    return (await this.broker.venuePositions()).map(({ symbol, quantity }) => ({
      symbol,
      quantity,
    }));
  }

  close(): Promise<void> {
    return this.broker.close();
  }

  private connected(): Promise<void> {
    this.connecting ??= this.broker.connect(SILENT).catch((error: unknown) => {
      // The next round tries again on a new connection.
      this.connecting = undefined;
      this.broker = this.open();
      throw error;
    });
    return this.connecting;
  }
}

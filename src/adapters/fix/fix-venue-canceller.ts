// The FIX venue as a kill reaches it, with no engine: a session of its own sends the mass cancel
// (35=q, 530=7), falls back to one cancel (35=F) per listed order when the venue refuses it, and
// reads open orders back with a mass status request (35=AF).

import type {
  CancelScope,
  VenueCanceller,
  VenueOpenOrder,
  VenuePosition,
  VenueTrade,
} from '../../core/ports.js';
import type { FixBroker } from './fix-broker.js';
import type { FixOpenOrder } from './fix-status.js';

/** Ignores everything: this session places nothing and follows no order. */
const SILENT = {
  onFill: () => undefined,
  onReject: () => undefined,
  onOrderDone: () => undefined,
};

export class FixVenueCanceller implements VenueCanceller {
  readonly name: string;
  private broker: FixBroker;
  private connecting: Promise<void> | undefined;

  /** `open` makes a fresh broker: one that failed to log on cannot be connected again. */
  constructor(private readonly open: () => FixBroker) {
    this.broker = open();
    this.name = this.broker.name;
  }

  async cancelAll(scope: CancelScope): Promise<number> {
    await this.connected();
    let cancelled = 0;
    if (scope === 'account' && this.broker.settings.massCancel) {
      // Refused (undefined) or partly done: what the venue still lists goes one by one below.
      cancelled = (await this.broker.massCancel()) ?? 0;
    }
    for (const order of await this.broker.venueOpenOrders()) {
      if (scope === 'own' && !order.own) continue;
      // A cancel the venue refuses (35=9) leaves that order open: the read-back names it.
      const done = await this.broker.cancelAtVenue(order).catch(() => false);
      if (done) cancelled += 1;
    }
    return cancelled;
  }

  async openOrders(): Promise<VenueOpenOrder[]> {
    await this.connected();
    return (await this.broker.venueOpenOrders()).map(venueOpenOrder);
  }

  /** Trade history needs a TradeCaptureReportRequest few venues answer alike: not listed. */
  tradesSince(): Promise<VenueTrade[] | undefined> {
    return Promise.resolve(undefined);
  }

  /** FIX 4.4 has no position query every venue answers: not reported. */
  positions(): Promise<VenuePosition[] | undefined> {
    return Promise.resolve(undefined);
  }

  close(): Promise<void> {
    return this.broker.close();
  }

  private connected(): Promise<void> {
    this.connecting ??= this.broker.connect(SILENT).catch((error: unknown) => {
      // The next round tries again on a new session.
      this.connecting = undefined;
      this.broker = this.open();
      throw error;
    });
    return this.connecting;
  }
}

function venueOpenOrder(order: FixOpenOrder): VenueOpenOrder {
  return {
    venueOrderId: order.venueOrderId ?? order.clientOrderId,
    clientOrderId: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    quantity: order.quantity,
    ...(order.price === undefined ? {} : { price: order.price }),
    own: order.own,
  };
}

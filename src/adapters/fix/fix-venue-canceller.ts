// The FIX venue as a kill reaches it, with no engine: a session of its own sends the mass cancel
// (35=q, 530=7), cancels one by one (35=F) what the venue still lists after it (refused or partly
// done), and reads open orders back with a mass status request (35=AF). The venue logging that
// session out ends the kill there: its reason, at once, and no new logon to be thrown out again.

import { finalVenueError } from '../../core/errors.js';
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
  /** Set once the venue ended this kill's session itself: every later call fails with it. */
  private endedBecause: string | undefined;

  /** `open` makes a fresh broker: one that failed to log on cannot be connected again. */
  constructor(private readonly open: () => FixBroker) {
    this.broker = open();
    this.name = this.broker.name;
  }

  cancelAll(scope: CancelScope): Promise<number> {
    return this.onSession(async (broker) => {
      let cancelled = 0;
      if (scope === 'account' && broker.settings.massCancel) {
        // Refused (undefined) or partly done: what the venue still lists goes one by one below.
        cancelled = (await broker.massCancel()) ?? 0;
      }
      for (const order of await broker.venueOpenOrders()) {
        if (scope === 'own' && !order.own) continue;
        // A cancel the venue refuses (35=9) leaves that order open: the read-back names it.
        const done = await broker.cancelAtVenue(order).catch(() => false);
        if (done) cancelled += 1;
        else if (broker.endedByVenue !== undefined) break;
      }
      return cancelled;
    });
  }

  openOrders(): Promise<VenueOpenOrder[]> {
    return this.onSession(async (broker) => (await broker.venueOpenOrders()).map(venueOpenOrder));
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

  /** `work` on a logged-on session; a final error once the venue has ended it itself. */
  private async onSession<Value>(work: (broker: FixBroker) => Promise<Value>): Promise<Value> {
    this.throwIfEnded();
    await this.connected();
    const broker = this.broker;
    try {
      const value = await work(broker);
      // The venue may have acted, but numbers it saw are not on disk: the next kill would log
      // on with stale ones and be refused, so this kill is not confirmed.
      const unsaved = broker.sequenceSaveFailure;
      if (unsaved !== undefined) {
        throw finalVenueError(
          `${this.name}: FIX sequence numbers cannot be saved (${unsaved}); the next kill logs on with stale numbers and may be refused ("MsgSeqNum too low") until they are agreed with the venue`,
        );
      }
      return value;
    } catch (error) {
      await this.noteEnd(broker);
      this.throwIfEnded();
      throw error;
    }
  }

  private connected(): Promise<void> {
    this.connecting ??= this.broker.connect(SILENT).catch(async (error: unknown) => {
      // Refused numbers are refused again on any new session; else the next round tries anew.
      await this.noteEnd(this.broker);
      this.throwIfEnded();
      this.connecting = undefined;
      this.broker = this.open();
      throw error;
    });
    return this.connecting;
  }

  /** The venue ended the session itself: no new logon (it would only be thrown out again). */
  private async noteEnd(broker: FixBroker): Promise<void> {
    const why = broker.endedByVenue;
    if (why === undefined || this.endedBecause !== undefined) return;
    this.endedBecause = why;
    await broker.close().catch(() => undefined);
  }

  private throwIfEnded(): void {
    if (this.endedBecause === undefined) return;
    throw finalVenueError(
      `${this.name}: ${this.endedBecause}; the kill's session is not tried again`,
    );
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

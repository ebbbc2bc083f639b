// Fills by polling: the venue's open orders, then its trade history, matched to our orders by
// venue order id and reported once per trade id. Orders gone from the venue are closed here, and
// an order that ended without filling completely is reported done once its trades are all read.

import type { Order as VenueOrder, Trade } from 'ccxt';
import type { Clock } from '../../core/clock.js';
import type { OrderDoneReason } from '../../core/ports.js';
import type { Fill } from '../../core/types.js';
import type { CcxtVenue } from './ccxt-venue.js';
import type { OrderTracker, TrackedOrder } from './ccxt-order-tracker.js';
import { acrossSymbols } from './venue-calls.js';

/** Trade history is read from this long before our oldest order, around clock skew. */
const TRADE_LOOKBACK_MS = 60_000;

export interface PollResult {
  /** The venue's open orders on our symbols, as seen at the start of the poll. */
  readonly venueOpen: readonly VenueOrder[];
  /** Ours that closed at the venue without filling completely and without us cancelling them. */
  readonly vanished: readonly TrackedOrder[];
}

export class FillPoller {
  /** Polls run one at a time, so a reconcile and the timer never interleave. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Orders we asked the venue to cancel: their disappearance is expected. */
  readonly cancelledHere = new WeakSet<TrackedOrder>();

  constructor(
    private readonly venue: CcxtVenue,
    private readonly tracker: OrderTracker,
    private readonly clock: Clock,
    private readonly deliver: (fill: Fill) => void,
    private readonly ended: (orderId: string, reason: OrderDoneReason) => void,
  ) {}

  poll(): Promise<PollResult> {
    const next = this.chain.then(() => this.pollOnce());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async pollOnce(): Promise<PollResult> {
    const exchange = this.venue.exchange;
    const symbols = this.venue.symbols;
    const startedAt = this.clock.now();
    // Open orders first: anything closed by then has all its trades in the history read next.
    const venueOpen = (
      await acrossSymbols(exchange, 'fetchOpenOrders', symbols, (symbol) =>
        exchange.fetchOpenOrders(symbol),
      )
    ).filter((order) => order.symbol !== undefined && symbols.includes(order.symbol));
    const watched = this.tracker.watched();
    if (watched.length > 0) await this.readTrades();
    const openIds = new Set(venueOpen.map((order) => order.id));
    const vanished: TrackedOrder[] = [];
    for (const tracked of this.tracker.open()) {
      const acceptedBefore = (tracked.acceptedAt ?? Infinity) < startedAt;
      if (!acceptedBefore || openIds.has(tracked.venueId ?? '')) continue;
      this.tracker.close(tracked, this.clock.now());
      if (!this.tracker.fullyFilled(tracked) && !this.cancelledHere.has(tracked)) {
        vanished.push(tracked);
      }
    }
    // Closed before this poll began (a cancel), or gone in it (after the open-order read): the
    // trade history read above holds all their fills, so what remains will never fill.
    if (watched.length > 0) this.reportEnded(startedAt, vanished);
    this.tracker.prune(this.clock.now());
    return { venueOpen, vanished };
  }

  private reportEnded(startedAt: number, vanished: readonly TrackedOrder[]): void {
    const ended = [...this.tracker.endedUnfilled(startedAt), ...vanished];
    for (const tracked of ended) {
      if (tracked.doneReported) continue;
      tracked.doneReported = true;
      this.ended(tracked.order.id, this.cancelledHere.has(tracked) ? 'cancelled' : 'expired');
    }
  }

  private async readTrades(): Promise<void> {
    const exchange = this.venue.exchange;
    const earliest = this.tracker.earliestAccepted() ?? this.clock.now();
    const since = earliest - TRADE_LOOKBACK_MS;
    const trades: Trade[] = await acrossSymbols(
      exchange,
      'fetchMyTrades',
      this.venue.symbols,
      (symbol) => exchange.fetchMyTrades(symbol, since),
    );
    trades.sort((left, right) => (left.timestamp ?? 0) - (right.timestamp ?? 0));
    for (const trade of trades) {
      const fill = this.tracker.applyTrade(trade, this.clock.now());
      if (fill !== undefined) this.deliver(fill);
    }
  }
}

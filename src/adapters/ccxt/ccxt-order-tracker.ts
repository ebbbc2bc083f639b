// The broker's own view of its orders: in flight, open at the venue, or recently closed (kept a
// while so late trades still find their order), and the trade ids already reported as fills.

import { createHash } from 'node:crypto';
import type { Fill, Order } from '../../core/types.js';

/** Closed orders stay matchable this long, since a venue's trade history can lag its order book. */
export const FILL_GRACE_MS = 30_000;
/** Below this a remaining quantity is float noise. */
const QUANTITY_EPSILON = 1e-9;

export interface TrackedOrder {
  readonly order: Order;
  readonly clientOrderId: string;
  venueId: string | undefined;
  /** Epoch ms the venue accepted it (the clock's). */
  acceptedAt: number | undefined;
  filled: number;
  /** Listed by openOrders(): accepted and not known to be closed. */
  open: boolean;
  /** Epoch ms it left the book (filled, cancelled, gone at the venue). */
  closedAt: number | undefined;
  /** Its end without a complete fill was reported to the listener (once). */
  doneReported: boolean;
  readonly tradeIds: Set<string>;
}

/** The fields of a ccxt trade the tracker reads. */
export interface VenueTrade {
  readonly id?: string | undefined;
  readonly order?: string | undefined;
  readonly amount?: number | undefined;
  readonly price?: number | undefined;
  readonly timestamp?: number | undefined;
  /** ccxt's unified fee: `cost` in `currency` (often the quote, sometimes a venue token). */
  readonly fee?: { readonly cost?: number | undefined; readonly currency?: string | undefined };
}

/**
 * A client order id derived from the engine's order id: the same order always gets the same one
 * (so a resend after a reconnect is recognised), and the namespace keeps engines apart. 32 hex
 * characters (a fixed mark, then the digest) fit every venue we know (Kraken's "short UUID", Binance 36, OKX 32 alphanumerics).
 */
export function clientOrderIdFor(namespace: string, orderId: string): string {
  const digest = createHash('sha256').update(`${namespace}\u0000${orderId}`).digest('hex');
  return `${CLIENT_ORDER_ID_MARK}${digest.slice(0, 32 - CLIENT_ORDER_ID_MARK.length)}`;
}

/**
 * Every livegate client order id starts with these hex digits, so a kill or a shutdown with
 * cancel scope `own` can tell livegate's orders at the venue from anyone else's without knowing
 * which engine placed them (still a valid Kraken "short UUID": 32 hex characters).
 */
export const CLIENT_ORDER_ID_MARK = '11e6a7e0';

const LIVEGATE_CLIENT_ORDER_ID = new RegExp(`^${CLIENT_ORDER_ID_MARK}[0-9a-f]{24}$`);

/** True for a client order id that livegate made (any engine, any run). */
export function isLivegateClientOrderId(clientOrderId: string | undefined): boolean {
  return clientOrderId !== undefined && LIVEGATE_CLIENT_ORDER_ID.test(clientOrderId);
}

export class OrderTracker {
  private readonly byId = new Map<string, TrackedOrder>();
  private readonly byVenueId = new Map<string, TrackedOrder>();

  constructor(private readonly namespace: string) {}

  has(orderId: string): boolean {
    return this.byId.has(orderId);
  }

  get(orderId: string): TrackedOrder | undefined {
    return this.byId.get(orderId);
  }

  byVenue(venueId: string): TrackedOrder | undefined {
    return this.byVenueId.get(venueId);
  }

  track(order: Order): TrackedOrder {
    const tracked: TrackedOrder = {
      order,
      clientOrderId: clientOrderIdFor(this.namespace, order.id),
      venueId: undefined,
      acceptedAt: undefined,
      filled: 0,
      open: false,
      closedAt: undefined,
      doneReported: false,
      tradeIds: new Set(),
    };
    this.byId.set(order.id, tracked);
    return tracked;
  }

  accepted(tracked: TrackedOrder, venueId: string, now: number): void {
    tracked.venueId = venueId;
    tracked.acceptedAt = now;
    tracked.open = tracked.closedAt === undefined;
    this.byVenueId.set(venueId, tracked);
  }

  /** Rejected or given up: forgotten at once. */
  forget(tracked: TrackedOrder): void {
    this.byId.delete(tracked.order.id);
    if (tracked.venueId !== undefined) this.byVenueId.delete(tracked.venueId);
  }

  close(tracked: TrackedOrder, now: number): void {
    tracked.open = false;
    tracked.closedAt ??= now;
  }

  openOrders(): Order[] {
    const orders: Order[] = [];
    for (const tracked of this.byId.values()) if (tracked.open) orders.push(tracked.order);
    return orders;
  }

  open(): TrackedOrder[] {
    return [...this.byId.values()].filter((tracked) => tracked.open);
  }

  /** Orders whose trades may still arrive: open, or closed within the grace period. */
  watched(): TrackedOrder[] {
    return [...this.byId.values()].filter((tracked) => tracked.venueId !== undefined);
  }

  knownClientOrderIds(): Set<string> {
    return new Set([...this.byId.values()].map((tracked) => tracked.clientOrderId));
  }

  /** A fill for a trade of one of ours not reported before, or undefined. */
  applyTrade(trade: VenueTrade, now: number): Fill | undefined {
    const tracked = trade.order === undefined ? undefined : this.byVenueId.get(trade.order);
    const tradeId = trade.id;
    if (tracked === undefined || tradeId === undefined || tracked.tradeIds.has(tradeId)) {
      return undefined;
    }
    const quantity = trade.amount ?? 0;
    const price = trade.price ?? 0;
    if (!(quantity > 0 && price > 0)) return undefined;
    tracked.tradeIds.add(tradeId);
    tracked.filled += quantity;
    if (tracked.filled >= tracked.order.quantity - QUANTITY_EPSILON) this.close(tracked, now);
    return {
      orderId: tracked.order.id,
      symbol: tracked.order.symbol,
      side: tracked.order.side,
      quantity,
      price,
      time: trade.timestamp ?? now,
      ...feeOf(trade),
    };
  }

  fullyFilled(tracked: TrackedOrder): boolean {
    return tracked.filled >= tracked.order.quantity - QUANTITY_EPSILON;
  }

  /**
   * Closed without a complete fill, not reported yet, and closed before `since`: a trade history
   * read after `since` holds every fill it will have, so it can be reported done.
   */
  endedUnfilled(since: number): TrackedOrder[] {
    const ended: TrackedOrder[] = [];
    for (const tracked of this.byId.values()) {
      if (tracked.doneReported || tracked.closedAt === undefined || tracked.closedAt > since) {
        continue;
      }
      if (!this.fullyFilled(tracked)) ended.push(tracked);
    }
    return ended;
  }

  /** Drops closed orders past the grace period; their trades can no longer be reported twice. */
  prune(now: number): void {
    for (const tracked of [...this.byId.values()]) {
      if (tracked.closedAt !== undefined && now - tracked.closedAt > FILL_GRACE_MS) {
        this.forget(tracked);
      }
    }
  }

  /** Earliest acceptance among watched orders (epoch ms), to bound the trade-history query. */
  earliestAccepted(): number | undefined {
    let earliest: number | undefined;
    for (const tracked of this.byId.values()) {
      if (tracked.acceptedAt === undefined) continue;
      earliest =
        earliest === undefined ? tracked.acceptedAt : Math.min(earliest, tracked.acceptedAt);
    }
    return earliest;
  }
}

/** The trade's fee when the venue reports one; no currency means the market's quote currency. */
function feeOf(trade: VenueTrade): Pick<Fill, 'fee' | 'feeCurrency'> {
  const cost = trade.fee?.cost;
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost === 0) return {};
  const currency = trade.fee?.currency;
  return typeof currency === 'string' && currency.length > 0
    ? { fee: cost, feeCurrency: currency }
    : { fee: cost };
}

// Orders open at a FIX venue, as its mass status reports (35=8, 150=I) list them, and how they
// compare with the broker's own.

import type { ReconciliationResult } from '../../core/ports.js';
import type { Side } from '../../core/types.js';
import { isLivegateClientOrderId } from '../ccxt/ccxt-order-tracker.js';
import type { TrackedOrder } from '../gateway/gateway-order-tracker.js';
import type { ExecutionReport } from './fix-messages.js';

export interface FixOpenOrder {
  readonly clientOrderId: string;
  readonly venueOrderId: string | undefined;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly price: number | undefined;
  /** Placed by livegate (its client order id mark). */
  readonly own: boolean;
}

/** OrdStatus (39) of an order still working: new, partially filled, pending cancel/replace, ... */
const OPEN_STATUSES = new Set(['0', '1', '6', '9', 'A', 'D', 'E']);

/** The open order a status report describes; undefined for a done order or an unusable report. */
export function venueOpenOrderOf(report: ExecutionReport): FixOpenOrder | undefined {
  if (!OPEN_STATUSES.has(report.orderStatus)) return undefined;
  const { clientOrderId, symbol, side } = report;
  if (clientOrderId === undefined || symbol === undefined || side === undefined) return undefined;
  return {
    clientOrderId,
    venueOrderId: report.venueOrderId,
    symbol,
    side,
    quantity: report.leavesQuantity ?? report.orderQuantity ?? 0,
    price: report.price,
    own: isLivegateClientOrderId(clientOrderId),
  };
}

/**
 * `acknowledgedBefore`: the orders already acknowledged when the mass status went out. Only those
 * must be listed: one acknowledged while the answer was read may be placed after its snapshot.
 */
export function reconcileWithFixVenue(
  live: readonly TrackedOrder[],
  positions: ReadonlyMap<string, number>,
  atVenue: readonly FixOpenOrder[],
  orderIdOf: (clientOrderId: string) => string | undefined,
  acknowledgedBefore: ReadonlySet<string>,
): ReconciliationResult {
  const differences: string[] = [];
  const liveIds = new Set(live.map((tracked) => tracked.order.id));
  const listed = new Set<string>();
  for (const order of atVenue) {
    const orderId = orderIdOf(order.clientOrderId);
    if (orderId !== undefined) listed.add(orderId);
    // Orders placed by hand or by another system on the account are not livegate's business.
    if (!order.own || (orderId !== undefined && liveIds.has(orderId))) continue;
    differences.push(
      `order ${orderId ?? order.clientOrderId} open at the venue, unknown here: ${order.side} ${order.quantity} ${order.symbol}`,
    );
  }
  for (const tracked of live) {
    // An unacknowledged order may still be on its way; only acknowledged ones must be listed.
    const id = tracked.order.id;
    if (tracked.acknowledged && acknowledgedBefore.has(id) && !listed.has(id)) {
      differences.push(`order ${tracked.order.id} open here, not at the venue`);
    }
  }
  void positions; // FIX 4.4 has no position query every venue answers: positions are not compared.
  return { matched: differences.length === 0, differences };
}

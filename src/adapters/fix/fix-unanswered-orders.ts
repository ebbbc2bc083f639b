// Orders a lost FIX session left unanswered: after the reconnect the venue's resend has replayed
// what was missed, so one still unacknowledged, and not listed open by the venue's mass status,
// never reached it or ended unseen. It is ended and reported rather than counted as working forever.

import type { BrokerListener, VenueReport } from '../../core/ports.js';
import type { GatewayOrderTracker, TrackedOrder } from '../gateway/gateway-order-tracker.js';
import type { FixOpenOrder } from './fix-status.js';

export interface UnansweredOrdersHost {
  readonly orders: GatewayOrderTracker;
  readonly listener: BrokerListener | undefined;
  venueOpenOrders(): Promise<FixOpenOrder[]>;
  clientOrderIdOf(orderId: string): string;
  report(kind: VenueReport['kind'], detail: string): void;
}

export async function settleUnansweredOrders(host: UnansweredOrdersHost): Promise<void> {
  const unanswered = host.orders.liveOrders().filter((tracked) => !tracked.acknowledged);
  if (unanswered.length === 0) return;
  let open: FixOpenOrder[];
  try {
    open = await host.venueOpenOrders();
  } catch {
    return; // no answer: they stay working (counted at their worst)
  }
  const listed = new Set(open.map((order) => order.clientOrderId));
  for (const tracked of unanswered) settle(host, tracked, listed);
}

function settle(host: UnansweredOrdersHost, tracked: TrackedOrder, listed: ReadonlySet<string>) {
  const id = tracked.order.id;
  if (host.orders.get(id) === undefined || tracked.acknowledged) return;
  if (listed.has(host.clientOrderIdOf(id))) {
    tracked.acknowledged = true;
    return;
  }
  host.orders.finish(id);
  host.listener?.onOrderDone(id, 'expired');
  host.report(
    'reconciliation-mismatch',
    `order ${id} was not acknowledged before the FIX session was lost and is not open at the venue: ended as not placed; a fill, if it was placed, shows in positions`,
  );
}

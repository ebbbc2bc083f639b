// Compares the gateway's open orders and positions with livegate's, one line per difference.

import type { ReconciliationResult } from '../../core/ports.js';
import type { GatewayOrder, GatewayPosition } from './gateway-protocol.js';
import type { TrackedOrder } from './gateway-order-tracker.js';

/** Positions closer than this are equal (fractional lots leave float noise). */
const POSITION_EPSILON = 1e-9;

export function reconcileWithGateway(
  local: {
    readonly orders: readonly TrackedOrder[];
    readonly positions: ReadonlyMap<string, number>;
  },
  gateway: {
    readonly orders: readonly GatewayOrder[];
    readonly positions: readonly GatewayPosition[];
  },
): ReconciliationResult {
  const differences: string[] = [];
  const localIds = new Set(local.orders.map((tracked) => tracked.order.id));
  const gatewayIds = new Set<string>();
  for (const order of gateway.orders) {
    if (order.clientOrderId !== undefined) gatewayIds.add(order.clientOrderId);
    if (order.clientOrderId === undefined || !localIds.has(order.clientOrderId)) {
      const id = order.clientOrderId ?? `(venue ${order.venueOrderId}, not placed by livegate)`;
      differences.push(
        `order ${id} open at the gateway, unknown here: ${order.side} ${order.quantity} ${order.symbol}`,
      );
    }
  }
  for (const tracked of local.orders) {
    // An unacknowledged order may still be on its way; only acknowledged ones must be listed.
    if (tracked.acknowledged && !gatewayIds.has(tracked.order.id)) {
      differences.push(`order ${tracked.order.id} open here, not at the gateway`);
    }
  }
  const gatewayPositions = new Map<string, number>();
  const positionDifferences = new Map<string, string>();
  for (const { symbol, quantity } of gateway.positions) {
    gatewayPositions.set(symbol, (gatewayPositions.get(symbol) ?? 0) + quantity);
  }
  for (const symbol of new Set([...local.positions.keys(), ...gatewayPositions.keys()])) {
    const here = local.positions.get(symbol) ?? 0;
    const there = gatewayPositions.get(symbol) ?? 0;
    if (Math.abs(here - there) > POSITION_EPSILON) {
      const line = `position ${symbol}: ${here} here, ${there} at the gateway`;
      differences.push(line);
      positionDifferences.set(symbol, line);
    }
  }
  return {
    matched: differences.length === 0,
    differences,
    venuePositions: gatewayPositions,
    positionDifferences,
  };
}

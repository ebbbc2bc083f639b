import { afterAll, describe, expect, it } from 'vitest';
import { GatewayVenueCanceller } from '../../src/adapters/gateway/gateway-venue-canceller.js';
import { WebSocketBroker } from '../../src/adapters/gateway/websocket-broker.js';
import { confirmVenueFlat } from '../../src/killswitch/venue-confirmation.js';
import { ScriptableGateway } from '../support/gateway-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('GatewayVenueCanceller', () => {
  it('connects again on a new connection when the first attempt timed out, and confirms flat', async () => {
    const gateway = await ScriptableGateway.start();
    cleanups.push(() => gateway.stop());
    const venue = gateway.venue('/account');
    venue.placeForeignOrder({ symbol: 'EURUSD', quantity: 1 });
    venue.placeForeignOrder({ clientOrderId: 'ours-1', symbol: 'EURUSD', quantity: 1 });
    gateway.refuseConnections = true;
    let opened = 0;
    const canceller = new GatewayVenueCanceller(() => {
      opened += 1;
      return new WebSocketBroker({
        url: `${gateway.url}/account`,
        requestTimeoutMs: 100,
        heartbeatIntervalMs: 20,
        staleAfterMs: 100,
        reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
      });
    });
    cleanups.push(() => canceller.close());
    setTimeout(() => (gateway.refuseConnections = false), 250);
    const receipt = await confirmVenueFlat(canceller, {
      scope: 'account',
      killWrittenAt: Date.now(),
      startedAt: performance.now(),
      timeoutMs: 3_000,
      pollIntervalMs: 10,
    });
    expect(receipt).toMatchObject({ confirmed: true, cancelled: 2, stillOpen: [] });
    expect(venue.openOrders).toEqual([]);
    expect(opened).toBeGreaterThan(1);
  });

  it('with scope own, cancels only orders that carry a clientOrderId', async () => {
    const gateway = await ScriptableGateway.start();
    cleanups.push(() => gateway.stop());
    const venue = gateway.venue('/account');
    venue.placeForeignOrder({ symbol: 'EURUSD', quantity: 1 });
    venue.placeForeignOrder({ clientOrderId: 'ours-1', symbol: 'EURUSD', quantity: 1 });
    const canceller = new GatewayVenueCanceller(
      () => new WebSocketBroker({ url: `${gateway.url}/account` }),
    );
    cleanups.push(() => canceller.close());
    const receipt = await confirmVenueFlat(canceller, {
      scope: 'own',
      killWrittenAt: Date.now(),
      startedAt: performance.now(),
      timeoutMs: 3_000,
    });
    expect(receipt).toMatchObject({ confirmed: true, cancelled: 1, leftOpen: 1 });
    expect(venue.openOrders.map((order) => order.clientOrderId)).toEqual(['']);
  });
});

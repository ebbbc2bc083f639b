// An engine restarted after a crash, through a real local gateway: the order its earlier run left
// resting (the gateway's dead-man had not fired yet) is cancelled before it trades and audited;
// an order placed by hand on the account is left alone.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketBroker } from '../../src/adapters/gateway/websocket-broker.js';
import { LiveEngine } from '../../src/engine/live-engine.js';
import { order, recordingListener } from '../contracts/broker.contract.js';
import { collect, openKillSwitch, ScriptedStrategy, ticks } from '../engine/engine-fixtures.js';
import { ScriptableGateway, waitFor } from '../support/gateway-server.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('WebSocketBroker after a restart', () => {
  it("cancels the earlier run's resting order before trading, and not a stranger's", async () => {
    const gateway = await ScriptableGateway.start();
    cleanups.push(() => gateway.stop());
    const venue = gateway.venue('/account');
    const crashed = new WebSocketBroker({ url: `${gateway.url}/account` });
    await crashed.connect(recordingListener());
    const resting = order({ type: 'limit', side: 'buy', price: 0.55, quantity: 10 });
    crashed.submit(resting);
    await waitFor(() => venue.openOrders.length === 1, 'the order resting');
    venue.fill(resting.id, 0.55, 4);
    venue.placeForeignOrder({ symbol: 'EURUSD', quantity: 3 });
    await crashed.close();

    const broker = new WebSocketBroker({ url: `${gateway.url}/account` });
    cleanups.push(() => broker.close());
    broker.recognise({ orders: [resting], executionIds: [] });
    const { killSwitch } = await openKillSwitch();
    const engine = new LiveEngine({
      killSwitch,
      strategy: new ScriptedStrategy(() => null),
      broker,
      cancelOpenOrdersOnShutdown: false,
    });
    const seen = collect((listener) => engine.on(listener));
    await engine.run(ticks(2));

    expect(seen.ofType('EarlierOrderCancelled')).toEqual([
      // The gateway's `orders` list an order's quantity, not what is left of it.
      expect.objectContaining({ orderId: resting.id, quantity: 10, leftQuantity: 10 }),
    ]);
    expect(venue.openOrders.map((open) => open.clientOrderId)).toEqual(['']);
    const result = await broker.reconcile(new Map([['EURUSD', 4]]));
    expect(result.differences).toEqual([
      expect.stringMatching(
        /not placed by livegate\) open at the gateway, unknown here: buy 3 EURUSD/,
      ),
    ]);
  });
});

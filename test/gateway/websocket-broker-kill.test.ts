// Issue 10, scenario 1: after a kill, nothing that can open exposure goes out on a new connection.
// A real local gateway; the first order frame is lost with the connection, then the engine is
// ENGAGED (the listener's gate 3 answer), then the connection returns.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketBroker } from '../../src/adapters/gateway/websocket-broker.js';
import type { VenueReport } from '../../src/core/ports.js';
import type { Order } from '../../src/core/types.js';
import { LiveEngine } from '../../src/engine/live-engine.js';
import { alertPayloadFor } from '../../src/observability/alerts/alert-payload.js';
import { order, recordingListener } from '../contracts/broker.contract.js';
import { collect, openKillSwitch, ScriptedStrategy, ticks } from '../engine/engine-fixtures.js';
import { ScriptableGateway, waitFor } from '../support/gateway-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A broker whose engine answers gate 3 with `engaged` (true: nothing may open exposure). */
async function brokerUnderKill() {
  const gateway = await ScriptableGateway.start();
  cleanups.push(() => gateway.stop());
  const broker = new WebSocketBroker({
    url: `${gateway.url}/account`,
    reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    heartbeatIntervalMs: 100,
  });
  cleanups.push(() => broker.close());
  const reports: VenueReport[] = [];
  const gate = { engaged: false, asked: [] as string[] };
  const listener = {
    ...recordingListener(),
    onVenueReport: (report: VenueReport) => reports.push(report),
    mayResend: (resent: Order) => {
      gate.asked.push(resent.id);
      return !gate.engaged;
    },
  };
  await broker.connect(listener);
  return { gateway, venue: gateway.venue('/account'), broker, listener, reports, gate };
}

describe('WebSocketBroker after a kill', () => {
  it('does not re-send an order the gateway never got once the engine is ENGAGED: it asks open-orders, and the order ends unsent', async () => {
    const { gateway, venue, broker, listener, reports, gate } = await brokerUnderKill();
    venue.loseOrders = true;
    const market = order({ quantity: 5 });
    broker.submit(market);
    await waitFor(() => gateway.peers[0]?.framesOf('order').length === 1, 'the lost order frame');
    venue.loseOrders = false;
    gate.engaged = true; // the kill lands while the connection is down
    gateway.dropAll();
    await waitFor(
      () => (gateway.peers[1]?.framesOf('open-orders').length ?? 0) > 0,
      'the status question on the new connection',
    );
    await waitFor(() => listener.done.length === 1, 'the order ended');
    // The code before this re-sent the order on reconnect and it filled after ENGAGED.
    expect(gateway.peers[1]?.framesOf('order')).toEqual([]);
    expect(venue.placements).toBe(0);
    expect(listener.fills).toEqual([]);
    expect(listener.done).toEqual([{ orderId: market.id, reason: 'expired' }]);
    expect(broker.openOrders()).toEqual([]);
    expect(gate.asked).toEqual([market.id]);
    expect(reports.map((report) => report.kind)).toContain('reconciliation-mismatch');
  });

  it('re-sends, as a status query, an unacknowledged order the gateway lists as open, and recovers its fill', async () => {
    const { gateway, venue, broker, listener, gate } = await brokerUnderKill();
    venue.holdAnswers = true; // placed, but the ack is lost with the connection
    const limit = order({ type: 'limit', side: 'buy', price: 0.55 });
    broker.submit(limit);
    await waitFor(() => venue.openOrders.length === 1, 'the order resting unacknowledged');
    venue.holdAnswers = false;
    gate.engaged = true;
    gateway.dropAll();
    await waitFor(() => gateway.peers[1]?.framesOf('order').length === 1, 'the status query');
    expect(venue.placements).toBe(1);
    venue.fill(limit.id, 0.55);
    await waitFor(() => listener.fills.length === 1, 'the fill');
    expect(broker.openOrders()).toEqual([]);
  });

  it('re-sends an unfinished order as before while the engine may trade', async () => {
    const { gateway, venue, broker, gate } = await brokerUnderKill();
    venue.loseOrders = true;
    const market = order({ quantity: 2 });
    broker.submit(market);
    await waitFor(() => gateway.peers[0]?.framesOf('order').length === 1, 'the lost order frame');
    venue.loseOrders = false;
    gateway.dropAll();
    await waitFor(() => gateway.peers[1]?.framesOf('order').length === 1, 'the re-sent order');
    await waitFor(() => venue.placements === 1, 'the order placed once');
    expect(gate.asked).toEqual([market.id]);
  });
});

describe('the engage cancel-all through a gateway that is away longer than a request timeout', () => {
  it('is retried until the venue answers it, each failure an alerting BrokerFailed event, never expiring silently', async () => {
    const gateway = await ScriptableGateway.start();
    cleanups.push(() => gateway.stop());
    const venue = gateway.venue('/account');
    const broker = new WebSocketBroker({
      url: `${gateway.url}/account`,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
      heartbeatIntervalMs: 100,
      requestTimeoutMs: 200,
    });
    cleanups.push(() => broker.close());
    const { killSwitch } = await openKillSwitch();
    const strategy = new ScriptedStrategy(async (_tick, _context, call) => {
      if (call === 1)
        return { symbol: 'EURUSD', side: 'buy', quantity: 3, type: 'limit', price: 0.55 };
      if (call !== 2) return null;
      await waitFor(() => venue.openOrders.length === 1, 'the order resting');
      gateway.refuseConnections = true;
      gateway.dropAll();
      await killSwitch.engage('drill: gateway away', 'ops', 'manual');
      await waitFor(() => failures().length >= 2, 'two failed cancel-all attempts', 10_000);
      expect(venue.openOrders).toHaveLength(1); // still working at the venue
      gateway.refuseConnections = false;
      await waitFor(
        () => seen.ofType('OrdersCancelled').length === 1,
        'the cancel-all answered',
        10_000,
      );
      return null;
    });
    const engine: LiveEngine = new LiveEngine({
      killSwitch,
      strategy,
      broker,
      cancelOpenOrdersOnShutdown: false,
    });
    const seen = collect((listener) => engine.on(listener));
    const failures = () =>
      seen.ofType('BrokerFailed').filter((event) => event.operation === 'cancel-all-on-engage');
    await engine.run(ticks(2));
    // The code before this sent the cancel-all once; it expired unsent and the order stayed open.
    expect(venue.openOrders).toEqual([]);
    expect(seen.ofType('OrdersCancelled')[0]).toMatchObject({
      count: 1,
      reason: 'kill-switch-engaged',
    });
    expect(failures().map((event) => event.attempt)).toEqual(
      failures().map((_event, index) => index + 1),
    );
    const alert = alertPayloadFor(failures()[0]!, engine.id);
    expect(alert?.livegate).toMatchObject({
      type: 'BrokerFailed',
      operation: 'cancel-all-on-engage',
      attempt: 1,
    });
  });
});

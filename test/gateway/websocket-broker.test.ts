// The WebSocket broker against a real local gateway: frames out of order, a lost connection,
// re-sends on reconnect, cancel-all, request timeouts and reconciliation.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketBroker } from '../../src/adapters/gateway/websocket-broker.js';
import type { WebSocketBrokerOptions } from '../../src/adapters/gateway/gateway-options.js';
import { isLivegateError } from '../../src/core/errors.js';
import type { VenueReport } from '../../src/core/ports.js';
import { order, recordingListener } from '../contracts/broker.contract.js';
import {
  ScriptableGateway,
  waitFor,
  type GatewayPeer,
  type SimulatedVenue,
} from '../support/gateway-server.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  readonly gateway: ScriptableGateway;
  readonly venue: SimulatedVenue;
  readonly broker: WebSocketBroker;
  readonly listener: ReturnType<typeof recordingListener>;
  readonly reports: VenueReport[];
}

/** A gateway with one simulated account and a broker connected to it. */
async function connectedBroker(options: Partial<WebSocketBrokerOptions> = {}): Promise<Setup> {
  const gateway = await ScriptableGateway.start();
  cleanups.push(() => gateway.stop());
  const broker = new WebSocketBroker({
    url: `${gateway.url}/account`,
    reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    heartbeatIntervalMs: 100,
    ...options,
  });
  cleanups.push(() => broker.close());
  const reports: VenueReport[] = [];
  const listener = {
    ...recordingListener(),
    onVenueReport: (report: VenueReport) => reports.push(report),
  };
  await broker.connect(listener);
  return { gateway, venue: gateway.venue('/account'), broker, listener, reports };
}

function peer(gateway: ScriptableGateway, index: number): GatewayPeer {
  const found = gateway.peers[index];
  if (found === undefined) throw new Error(`no connection ${index + 1}`);
  return found;
}

function restingLimit(): ReturnType<typeof order> {
  return order({ type: 'limit', side: 'buy', price: 0.55 });
}

function kinds(reports: readonly VenueReport[]): VenueReport['kind'][] {
  return reports.map((report) => report.kind);
}

describe('WebSocketBroker', () => {
  it('takes a fill that arrives before its ack, once, and counts it as out of order', async () => {
    const { venue, broker, listener, reports } = await connectedBroker();
    venue.fillBeforeAck = true;
    const market = order({ quantity: 3 });
    broker.submit(market);
    await waitFor(() => listener.fills.length === 1, 'the fill');
    await waitFor(() => broker.stats().outOfOrderMessages === 2, 'the late ack to be seen');
    expect(listener.fills[0]).toMatchObject({ orderId: market.id, quantity: 3, side: 'buy' });
    expect(broker.openOrders()).toEqual([]);
    expect(kinds(reports)).toEqual(['connected']);
    expect(broker.stats().unknownOrderMessages).toBe(0);
  });

  it('reports an ack for an order it never sent as a reconciliation mismatch', async () => {
    const { gateway, broker, reports } = await connectedBroker();
    peer(gateway, 0).send({ type: 'ack', clientOrderId: 'ghost-1', venueOrderId: '991' });
    await waitFor(() => kinds(reports).includes('reconciliation-mismatch'), 'the mismatch');
    expect(reports.at(-1)).toMatchObject({
      source: 'broker',
      venue: `${gateway.url}/account`,
      detail: 'ack for order ghost-1, which livegate did not send',
    });
    expect(broker.stats().unknownOrderMessages).toBe(1);
  });

  it('applies a fill re-sent with the same fillId only once', async () => {
    const { gateway, broker, listener } = await connectedBroker();
    const limit = restingLimit();
    broker.submit(limit);
    await waitFor(() => broker.stats().framesReceived >= 2, 'the ack');
    const fill = {
      type: 'fill',
      clientOrderId: limit.id,
      fillId: 'F-7',
      symbol: 'EURUSD',
      side: 'buy',
      quantity: 0.4,
      price: 0.55,
      time: 1_709_542_800_000,
    };
    peer(gateway, 0).send(fill);
    peer(gateway, 0).send(fill);
    peer(gateway, 0).send({ ...fill, fillId: 'F-8', quantity: 0.6 });
    await waitFor(() => listener.fills.length === 2, 'two distinct fills');
    await waitFor(() => broker.stats().duplicateFills === 1, 'the duplicate counted');
    expect(listener.fills.map((each) => each.quantity)).toEqual([0.4, 0.6]);
    expect(broker.openOrders()).toEqual([]);
  });

  it('rejects an order at once while disconnected, naming the lost connection, and never sends it', async () => {
    const { gateway, broker, listener, reports } = await connectedBroker();
    gateway.refuseConnections = true;
    gateway.dropAll();
    await waitFor(() => kinds(reports).includes('disconnected'), 'the disconnected report');

    const refused = order();
    broker.submit(refused);
    expect(listener.rejects).toEqual([
      {
        orderId: refused.id,
        reason: expect.stringMatching(
          /^GATEWAY_DISCONNECTED: connection to ws:\/\/127\.0\.0\.1:\d+\/account lost .*; the order was not sent$/,
        ) as unknown,
      },
    ]);
    expect(broker.openOrders()).toEqual([]);

    gateway.refuseConnections = false;
    await waitFor(() => kinds(reports).filter((kind) => kind === 'connected').length === 2, 'back');
    const sent = gateway.peers.flatMap((each) => each.framesOf('order'));
    expect(sent.map((frame) => frame.clientOrderId)).not.toContain(refused.id);
  });

  it('re-sends an unacknowledged order on reconnect with the same id, and the gateway places it once', async () => {
    const { gateway, venue, broker, listener } = await connectedBroker();
    venue.holdAnswers = true;
    const limit = restingLimit();
    broker.submit(limit);
    await waitFor(
      () => peer(gateway, 0).framesOf('order').length === 1,
      'the order at the gateway',
    );
    venue.holdAnswers = false;
    gateway.dropAll();
    await waitFor(() => gateway.peers[1]?.framesOf('order').length === 1, 'the re-sent order');

    expect(peer(gateway, 1).framesOf('order')[0]).toMatchObject({
      seq: 1,
      clientOrderId: limit.id,
      orderType: 'limit',
      price: 0.55,
    });
    expect(venue.placements).toBe(1);
    await waitFor(() => venue.openOrders.length === 1, 'the order resting');
    expect(broker.openOrders().map((each) => each.id)).toEqual([limit.id]);
    expect(broker.stats().resentOrders).toBe(1);
    expect(listener.rejects).toEqual([]);
  });

  it('recovers a fill that happened while the connection was down', async () => {
    const { gateway, venue, broker, listener, reports } = await connectedBroker();
    const limit = restingLimit();
    broker.submit(limit);
    await waitFor(() => venue.openOrders.length === 1, 'the order resting');
    gateway.refuseConnections = true;
    gateway.dropAll();
    await waitFor(() => kinds(reports).includes('disconnected'), 'the disconnected report');
    venue.fill(limit.id, 0.55);
    expect(listener.fills).toEqual([]);

    gateway.refuseConnections = false;
    await waitFor(() => listener.fills.length === 1, 'the fill after the reconnect');
    expect(listener.fills[0]).toMatchObject({ orderId: limit.id, price: 0.55, quantity: 1 });
    expect(broker.openOrders()).toEqual([]);
    expect(venue.placements).toBe(1);
  });

  it('with cancel scope own, a kill cancels its own orders one by one and leaves a hand-placed one', async () => {
    const { gateway, venue, broker } = await connectedBroker({ cancelScopeOnKill: 'own' });
    for (let index = 0; index < 2; index += 1) broker.submit(restingLimit());
    await waitFor(() => venue.openOrders.length === 2, 'two resting orders');
    venue.placeForeignOrder({ symbol: 'EURUSD', quantity: 2 });

    expect(await broker.cancelAll()).toBe(2);
    expect(peer(gateway, 0).framesOf('cancel-all')).toEqual([]);
    expect(venue.openOrders.map((order) => order.clientOrderId)).toEqual(['']);
    expect(broker.openOrders()).toEqual([]);
  });

  it('cancels everything with cancel-all and counts what the gateway cancelled', async () => {
    const { gateway, venue, broker } = await connectedBroker();
    for (let index = 0; index < 3; index += 1) broker.submit(restingLimit());
    await waitFor(() => venue.openOrders.length === 3, 'three resting orders');
    venue.placeForeignOrder({ symbol: 'EURUSD', quantity: 2 });

    expect(await broker.cancelAll()).toBe(4);
    const request = peer(gateway, 0).framesOf('cancel-all');
    expect(request).toEqual([
      { type: 'cancel-all', seq: expect.any(Number) as unknown, requestId: 'r1' },
    ]);
    expect(broker.openOrders()).toEqual([]);
    expect(venue.openOrders).toEqual([]);
  });

  it('waits for the answer to a cancel, and fails it with ERR_BROKER_FAILED when none comes', async () => {
    const { venue, broker } = await connectedBroker({ requestTimeoutMs: 300 });
    const limit = restingLimit();
    broker.submit(limit);
    await waitFor(() => venue.openOrders.length === 1, 'the order resting');
    venue.ignoreCancels = true;
    const started = performance.now();
    const failure = await broker.cancel(limit.id).catch((error: unknown) => error);
    expect(isLivegateError(failure, 'ERR_BROKER_FAILED')).toBe(true);
    expect((failure as Error).message).toMatch(
      /no answer to cancel \(r1\) within 300 ms \(connected\)/,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(broker.openOrders()).toHaveLength(1);
  });

  it('sends a cancel made while disconnected once the gateway is back', async () => {
    const { gateway, venue, broker, reports } = await connectedBroker();
    const limit = restingLimit();
    broker.submit(limit);
    await waitFor(() => venue.openOrders.length === 1, 'the order resting');
    gateway.refuseConnections = true;
    gateway.dropAll();
    await waitFor(() => kinds(reports).includes('disconnected'), 'the disconnected report');
    const cancelled = broker.cancel(limit.id);
    expect(broker.stats().queuedFrames).toBe(1);
    gateway.refuseConnections = false;
    expect(await cancelled).toBe(true);
    expect(venue.openOrders).toEqual([]);
  });

  it('finds an order open at the gateway that livegate does not know, and position differences', async () => {
    const { venue, broker } = await connectedBroker();
    const mine = restingLimit();
    broker.submit(mine);
    await waitFor(() => venue.openOrders.length === 1, 'our order resting');
    venue.placeForeignOrder({ clientOrderId: 'manual-7', symbol: 'EURUSD', quantity: 2 });
    venue.placeForeignOrder({ symbol: 'GBPUSD', quantity: 1 });
    venue.positions.set('EURUSD', 5);

    const result = await broker.reconcile(new Map([['EURUSD', 5]]));
    expect(result.matched).toBe(false);
    expect(result.differences).toEqual([
      'order manual-7 open at the gateway, unknown here: buy 2 EURUSD',
      expect.stringMatching(
        /^order \(venue \d+, not placed by livegate\) open at the gateway, unknown here: buy 1 GBPUSD$/,
      ) as unknown,
    ]);

    venue.orders.clear();
    const drifted = await broker.reconcile(new Map([['EURUSD', 4]]));
    expect(drifted.differences).toEqual([
      `order ${mine.id} open here, not at the gateway`,
      'position EURUSD: 4 here, 5 at the gateway',
    ]);
  });

  it('reconciles to matched when the gateway agrees', async () => {
    const { venue, broker } = await connectedBroker();
    broker.submit(order({ quantity: 2 }));
    await waitFor(() => venue.positions.get('EURUSD') === 2, 'the fill at the venue');
    expect(await broker.reconcile(new Map([['EURUSD', 2]]))).toEqual({
      matched: true,
      differences: [],
      venuePositions: new Map([['EURUSD', 2]]),
      positionDifferences: new Map(),
    });
  });

  it('keeps its own sequence numbers gap-free from 1 on every connection', async () => {
    const { gateway, broker } = await connectedBroker();
    broker.submit(restingLimit());
    await waitFor(() => peer(gateway, 0).received.length >= 3, 'a few frames');
    gateway.dropAll();
    await waitFor(() => (gateway.peers[1]?.received.length ?? 0) >= 3, 'frames on the second');
    expect(peer(gateway, 1).received[0]?.seq).toBe(1);
    expect(gateway.peers.flatMap((each) => each.violations)).toEqual([]);
  });

  it('fails connect() with ERR_BROKER_FAILED when no gateway answers in time', async () => {
    const gateway = await ScriptableGateway.start();
    const url = gateway.url;
    await gateway.stop();
    const broker = new WebSocketBroker({ url, requestTimeoutMs: 300 });
    const failure = await broker.connect(recordingListener()).catch((error: unknown) => error);
    expect(isLivegateError(failure, 'ERR_BROKER_FAILED')).toBe(true);
    expect((failure as Error).message).toMatch(
      /no connection to the gateway within 300 ms \(cannot connect/,
    );
    await broker.close();
  });

  it('rejects every bad option at once with ERR_CONFIG_INVALID', () => {
    const options = {
      url: 'ws//nowhere',
      reconnect: { initialDelayMs: 500, maxDelayMs: 100 },
      heartbeatIntervalMs: 1.5,
      requestTimeoutMs: 0,
      symbols: ['EURUSD'],
    };
    expect(() => new WebSocketBroker(options as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        message: expect.stringMatching(
          /url.*reconnect\.maxDelayMs: maxDelayMs must not be below.*heartbeatIntervalMs.*requestTimeoutMs.*symbols: unknown option/s,
        ) as unknown,
      }),
    );
  });
});

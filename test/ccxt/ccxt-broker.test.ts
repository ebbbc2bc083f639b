import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CcxtBroker, type CcxtBrokerOptions } from '../../src/adapters/ccxt/ccxt-broker.js';
import { clientOrderIdFor } from '../../src/adapters/ccxt/ccxt-order-tracker.js';
import { ManualClock } from '../../src/core/clock.js';
import type { VenueReport } from '../../src/core/ports.js';
import type { Order } from '../../src/core/types.js';
import { order, recordingListener, runBrokerContract } from '../contracts/broker.contract.js';
import { FakeVenueServer } from '../support/fake-venue-server.js';
import { testVenue, waitFor } from './ccxt-test-venue.js';

const FAST: Partial<CcxtBrokerOptions> = {
  fillPollIntervalMs: 10,
  retryInitialDelayMs: 5,
  retryMaxDelayMs: 20,
  maxAttempts: 4,
};

describe('CcxtBroker', () => {
  let server: FakeVenueServer;
  let broker: CcxtBroker | undefined;
  beforeEach(async () => {
    server = await FakeVenueServer.start();
  });
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
    await server.close();
  });

  async function connected(options: Partial<CcxtBrokerOptions> = {}, timeoutMs?: number) {
    broker = new CcxtBroker({
      venue: testVenue(server, {
        symbols: ['BTC/USD', 'ETH/USD'],
        ...(timeoutMs ? { timeoutMs } : {}),
      }),
      ...FAST,
      ...options,
    });
    const reports: VenueReport[] = [];
    const listener = {
      ...recordingListener(),
      onVenueReport: (report: VenueReport) => reports.push(report),
    };
    await broker.connect(listener);
    return { broker, listener, reports };
  }

  const btc = (overrides: Partial<Order> = {}): Order =>
    order({ symbol: 'BTC/USD', quantity: 0.01, ...overrides });
  const resting = (overrides: Partial<Order> = {}): Order =>
    btc({ type: 'limit', price: 40_000, ...overrides });

  it('sends a client order id derived from the order id and reports each fill once', async () => {
    const { broker: ccxtBroker, listener } = await connected();
    const marketOrder = btc({ side: 'buy' });
    await ccxtBroker.submit(marketOrder);
    await waitFor(() => listener.fills.length === 1, 'a fill');
    expect(listener.fills[0]).toMatchObject({
      orderId: marketOrder.id,
      symbol: 'BTC/USD',
      side: 'buy',
      quantity: 0.01,
      price: server.trades[0]!.price,
    });
    expect(server.addOrderCalls.get(clientOrderIdFor('livegate', marketOrder.id))).toBe(1);
    const tradesCalls = server.callsTo('TradesHistory');
    await waitFor(() => server.callsTo('TradesHistory') >= tradesCalls + 3, 'more fill polls');
    expect(listener.fills).toHaveLength(1);
    expect(ccxtBroker.openOrders()).toEqual([]);
  });

  it('reports partial fills of a resting order as they happen, each once', async () => {
    const { broker: ccxtBroker, listener } = await connected();
    const limit = resting({ quantity: 0.02 });
    await ccxtBroker.submit(limit);
    const [venueOrder] = server.openOrders();
    server.fill(venueOrder!.txid, 0.005);
    await waitFor(() => listener.fills.length === 1, 'the first partial fill');
    expect(ccxtBroker.openOrders()).toHaveLength(1);
    server.fill(venueOrder!.txid);
    await waitFor(() => listener.fills.length === 2, 'the rest');
    expect(listener.fills.map((fill) => fill.quantity)).toEqual([0.005, 0.015]);
    expect(listener.fills[1]!.price).toBe(40_000);
    await waitFor(() => ccxtBroker.openOrders().length === 0, 'the order to leave the book');
  });

  it('reports a part-filled order done after its fills, when cancelled or closed by the venue', async () => {
    const { broker: ccxtBroker, listener } = await connected();
    const events: string[] = [];
    const onFill = listener.onFill.bind(listener);
    const onOrderDone = listener.onOrderDone.bind(listener);
    listener.onFill = (fill) => (events.push(`fill ${fill.orderId}`), onFill(fill));
    listener.onOrderDone = (id, reason) => (
      events.push(`${reason} ${id}`),
      onOrderDone(id, reason)
    );
    const cancelled = resting({ quantity: 0.02 });
    const expired = resting({ quantity: 0.02, price: 39_000 });
    await ccxtBroker.submit(cancelled);
    await ccxtBroker.submit(expired);
    const [first, second] = server.openOrders();
    // Traded at the venue, not yet seen by a poll, when the cancel goes out.
    server.fill(first!.txid, 0.005);
    expect(await ccxtBroker.cancel(cancelled.id)).toBe(true);
    second!.status = 'canceled';
    await waitFor(() => listener.done.length === 2, 'both orders reported done');
    // The engine counts the remaining 0.015 until the done: the fill must come before it.
    expect(events).toHaveLength(3);
    expect(events).toContain(`expired ${expired.id}`);
    // The other order's done may come between them (CI saw fill, expired, cancelled).
    expect(events.indexOf(`fill ${cancelled.id}`)).toBeGreaterThanOrEqual(0);
    expect(events.indexOf(`fill ${cancelled.id}`)).toBeLessThan(
      events.indexOf(`cancelled ${cancelled.id}`),
    );
  });

  it.each([
    ['an order below the venue minimum', () => btc({ quantity: 0.00005 }), 'VENUE_INVALID_ORDER'],
    [
      'an order the account cannot pay for',
      () => btc({ quantity: 100 }),
      'VENUE_INSUFFICIENT_FUNDS',
    ],
  ])('rejects %s with a stable code', async (_what, make, code) => {
    const { broker: ccxtBroker, listener } = await connected();
    const bad = make();
    await ccxtBroker.submit(bad);
    expect(listener.rejects).toHaveLength(1);
    expect(listener.rejects[0]!.orderId).toBe(bad.id);
    expect(listener.rejects[0]!.reason).toMatch(new RegExp(`^${code}: `));
    expect(server.addOrderCalls.get(clientOrderIdFor('livegate', bad.id))).toBe(1);
  });

  it('refuses a price off the tick grid before it reaches the venue', async () => {
    const { broker: ccxtBroker, listener } = await connected();
    await ccxtBroker.submit(resting({ price: 40_000.05 }));
    expect(listener.rejects[0]!.reason).toMatch(/^INVALID_PRICE: /);
    expect(server.callsTo('AddOrder')).toBe(0);
  });

  it.each([
    ['HTTP 429', { kind: 'http-429' } as const],
    [
      "Kraken's rate-limit error",
      { kind: 'kraken-error', message: 'EAPI:Rate limit exceeded' } as const,
    ],
  ])('retries after %s with backoff, then places the order once', async (_what, fault) => {
    const { broker: ccxtBroker, listener } = await connected();
    server.failNext('AddOrder', fault, 2);
    const limit = resting();
    await ccxtBroker.submit(limit);
    expect(listener.rejects).toEqual([]);
    expect(ccxtBroker.openOrders().map((open) => open.id)).toEqual([limit.id]);
    expect(server.openOrders()).toHaveLength(1);
  });

  it.each([
    ['the connection drops after the venue took the order', { kind: 'drop-after' } as const],
    [
      'the answer comes after the client timed out',
      { kind: 'delay-after', delayMs: 1_500 } as const,
    ],
    ['the connection drops before the venue saw the order', { kind: 'drop-before' } as const],
  ])('never places an order twice when %s', async (_what, fault) => {
    const { broker: ccxtBroker, listener } = await connected({}, 500);
    server.failNext('AddOrder', fault);
    const limit = resting();
    await ccxtBroker.submit(limit);
    expect(listener.rejects).toEqual([]);
    expect(server.openOrders()).toHaveLength(1);
    expect(ccxtBroker.openOrders().map((open) => open.id)).toEqual([limit.id]);
    const sends = server.addOrderCalls.get(clientOrderIdFor('livegate', limit.id)) ?? 0;
    expect(sends).toBe(1);
    expect(server.callsTo('OpenOrders')).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['the connection drops before the venue saw the order', { kind: 'drop-before' } as const],
    ['HTTP 429', { kind: 'http-429' } as const],
  ])(
    'does not retry a createOrder after a kill (%s): the order is rejected, never placed',
    async (_what, fault) => {
      broker = new CcxtBroker({
        venue: testVenue(server, { symbols: ['BTC/USD'], timeoutMs: 500 }),
        ...FAST,
      });
      // The kill lands while the first attempt is failing: the venue has seen it, the gate closes.
      const listener = {
        ...recordingListener(),
        mayDepart: () => server.callsTo('AddOrder') === 0,
      };
      await broker.connect(listener);
      server.failNext('AddOrder', fault);
      const limit = resting();
      await broker.submit(limit);
      expect(server.callsTo('AddOrder')).toBe(1);
      // The code before this retried with backoff and placed the order after the kill.
      expect(server.openOrders()).toEqual([]);
      expect(listener.rejects).toHaveLength(1);
      expect(listener.rejects[0]!.reason).toContain('the kill switch forbids sending it again');
      expect(broker.openOrders()).toEqual([]);
    },
  );

  it('gives up after the bounded attempts, rejects, and reports disconnected, then connected on the next success', async () => {
    const { broker: ccxtBroker, listener, reports } = await connected();
    server.failNext('AddOrder', { kind: 'http-429' }, 4);
    const limit = resting();
    await ccxtBroker.submit(limit);
    expect(listener.rejects[0]!.reason).toMatch(/^VENUE_RATE_LIMITED: /);
    expect(server.callsTo('AddOrder')).toBe(4);
    expect(reports.map((report) => report.kind)).toContain('disconnected');
    await ccxtBroker.submit(resting());
    expect(reports.at(-1)!.kind).toBe('connected');
  });

  it('cancels one order, and all orders at the venue', async () => {
    const { broker: ccxtBroker } = await connected();
    const first = resting();
    await ccxtBroker.submit(first);
    await ccxtBroker.submit(resting({ price: 39_000 }));
    await ccxtBroker.submit(resting({ price: 2_000, symbol: 'ETH/USD', quantity: 0.01 }));
    server.placeForeignOrder('XXBTZUSD', 'buy', 0.01, 30_000);
    expect(await ccxtBroker.cancel(first.id)).toBe(true);
    expect(await ccxtBroker.cancel(first.id)).toBe(false);
    expect(server.openOrders()).toHaveLength(3);
    expect(await ccxtBroker.cancelAll()).toBe(2);
    expect(server.openOrders()).toEqual([]);
    expect(server.callsTo('CancelAll')).toBe(1);
    expect(ccxtBroker.openOrders()).toEqual([]);
  });

  it('cancels only its own orders on close (scope own), and only its own on a kill with scope own', async () => {
    const { broker: onClose } = await connected();
    await onClose.submit(resting());
    const foreign = server.placeForeignOrder('XXBTZUSD', 'buy', 0.01, 30_000);
    await onClose.close();
    expect(server.openOrders().map((order) => order.txid)).toEqual([foreign.txid]);
    expect(server.callsTo('CancelAll')).toBe(0);

    const { broker: onKill } = await connected({ cancelScopeOnKill: 'own' });
    await onKill.submit(resting());
    expect(await onKill.cancelAll()).toBe(1);
    expect(server.openOrders().map((order) => order.txid)).toEqual([foreign.txid]);
    expect(server.callsTo('CancelAll')).toBe(0);
    await onKill.close();
  });

  it('arms the dead-man switch on connect, refreshes it from heartbeat() when due, disarms on close', async () => {
    const clock = new ManualClock(1_000_000);
    const { broker: ccxtBroker, reports } = await connected({
      clock,
      deadManCountdownMs: 60_000,
      deadManRefreshEveryMs: 15_000,
    });
    expect(server.deadManCalls.map((call) => call.timeout)).toEqual([60]);
    expect(reports.map((report) => report.kind)).toContain('dead-man-armed');
    await ccxtBroker.heartbeat();
    expect(server.deadManCalls).toHaveLength(1);
    clock.advance(15_000);
    await ccxtBroker.heartbeat();
    await ccxtBroker.heartbeat();
    expect(server.deadManCalls.map((call) => call.timeout)).toEqual([60, 60]);
    await ccxtBroker.submit(resting());
    await ccxtBroker.close();
    expect(server.openOrders()).toEqual([]);
    // Shutdown cancels its own orders (cancel scope own), before disarming.
    expect(server.calls.indexOf('CancelOrder')).toBeLessThan(
      server.calls.lastIndexOf('CancelAllOrdersAfter'),
    );
    expect(server.deadManCalls.map((call) => call.timeout)).toEqual([60, 60, 0]);
  });

  it('reports dead-man-failed when a refresh fails, and armed again when it recovers', async () => {
    const clock = new ManualClock(0);
    const { broker: ccxtBroker, reports } = await connected({ clock });
    server.failNext('CancelAllOrdersAfter', {
      kind: 'kraken-error',
      message: 'EService:Unavailable',
    });
    clock.advance(15_000);
    await ccxtBroker.heartbeat();
    expect(reports.at(-1)).toMatchObject({
      source: 'broker',
      venue: 'kraken',
      kind: 'dead-man-failed',
    });
    await ccxtBroker.heartbeat();
    expect(reports.at(-1)!.kind).toBe('dead-man-armed');
  });

  it('reconciles: an order open at the venue that we do not know is a mismatch', async () => {
    const { broker: ccxtBroker } = await connected();
    await ccxtBroker.submit(resting());
    expect(await ccxtBroker.reconcile(new Map())).toEqual({ matched: true, differences: [] });
    const foreign = server.placeForeignOrder('XXBTZUSD', 'sell', 0.5, 90_000);
    const result = await ccxtBroker.reconcile(new Map());
    expect(result.matched).toBe(false);
    expect(result.differences).toHaveLength(1);
    expect(result.differences[0]).toContain(foreign.txid);
  });

  it('reconciles base-currency balance moves against the positions it is given', async () => {
    const { broker: ccxtBroker, listener } = await connected();
    await ccxtBroker.submit(btc({ quantity: 0.3 }));
    await waitFor(() => listener.fills.length === 1, 'the fill');
    expect((await ccxtBroker.reconcile(new Map([['BTC/USD', 0.3]]))).matched).toBe(true);
    const off = await ccxtBroker.reconcile(new Map([['BTC/USD', 0.1]]));
    expect(off.differences).toEqual([expect.stringContaining('BTC balance moved 0.3')]);
  });

  it('reports an order the venue closed without us (its dead-man fired) at the next reconcile', async () => {
    const { broker: ccxtBroker } = await connected();
    const limit = resting();
    await ccxtBroker.submit(limit);
    for (const open of server.openOrders()) open.status = 'canceled';
    await waitFor(() => ccxtBroker.openOrders().length === 0, 'the order to leave the book');
    const result = await ccxtBroker.reconcile(new Map());
    expect(result.differences).toEqual([expect.stringContaining(`order ${limit.id}`)]);
  });
});

describe('CcxtBroker against the fake venue', () => {
  let server: FakeVenueServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  runBrokerContract(
    'CcxtBroker (fake Kraken)',
    async () => {
      server ??= await FakeVenueServer.start();
      return new CcxtBroker({ venue: testVenue(server), ...FAST });
    },
    {
      symbol: 'BTC/USD',
      quote: { symbol: 'BTC/USD', bid: 50_000, ask: 50_000.2, time: Date.now() },
    },
  );
});

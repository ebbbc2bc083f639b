// The Broker contract: every broker adapter (paper now, real venues later) runs this suite.
import { describe, expect, it } from 'vitest';
import { isLivegateError } from '../../src/core/errors.js';
import type { Broker, BrokerListener, OrderDoneReason } from '../../src/core/ports.js';
import type { Fill, Order, Tick } from '../../src/core/types.js';

export interface BrokerContractOptions {
  /** A symbol the broker trades. Default 'EURUSD'. */
  readonly symbol?: string;
  /** Where the market is; given to `observeTick` when the broker has it, and used to place limits far away. */
  readonly quote?: Tick;
}

export type MakeBroker = () => Broker | Promise<Broker>;

const WAIT_MS = 5_000;

/** Polls until `condition` holds; fails with `what` when the deadline passes. */
async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + WAIT_MS;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${WAIT_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function recordingListener(): BrokerListener & {
  fills: Fill[];
  rejects: { orderId: string; reason: string }[];
  done: { orderId: string; reason: OrderDoneReason }[];
} {
  const fills: Fill[] = [];
  const rejects: { orderId: string; reason: string }[] = [];
  const done: { orderId: string; reason: OrderDoneReason }[] = [];
  return {
    fills,
    rejects,
    done,
    onFill: (fill) => fills.push(fill),
    onReject: (orderId, reason) => rejects.push({ orderId, reason }),
    onOrderDone: (orderId, reason) => done.push({ orderId, reason }),
  };
}

let nextOrderNumber = 0;

export function order(overrides: Partial<Order> = {}): Order {
  nextOrderNumber += 1;
  return {
    id: `contract-${nextOrderNumber}`,
    symbol: 'EURUSD',
    side: 'buy',
    quantity: 1,
    type: 'market',
    price: undefined,
    tag: undefined,
    createdAt: Date.now(),
    ...overrides,
  };
}

/** Calls submit and turns a synchronous throw into a rejection, since adapters may do either. */
async function submitted(broker: Broker, submittedOrder: Order): Promise<void> {
  await broker.submit(submittedOrder);
}

export function runBrokerContract(
  name: string,
  makeBroker: MakeBroker,
  options: BrokerContractOptions = {},
): void {
  const symbol = options.symbol ?? 'EURUSD';
  const quote = options.quote ?? { symbol, bid: 1.1, ask: 1.1002, time: Date.now() };

  async function connected(): Promise<{
    broker: Broker;
    listener: ReturnType<typeof recordingListener>;
  }> {
    const broker = await makeBroker();
    const listener = recordingListener();
    await broker.connect(listener);
    broker.observeTick?.(quote);
    return { broker, listener };
  }

  /** A limit order priced so far from the market that it rests. */
  function restingLimit(): Order {
    return order({ symbol, type: 'limit', side: 'buy', price: roundTo5(quote.bid / 2) });
  }

  describe(`Broker contract: ${name}`, () => {
    it('has a readable name', async () => {
      const broker = await makeBroker();
      expect(broker.name).toMatch(/\S/);
      await broker.close();
    });

    it('refuses submit() before connect() with ERR_BROKER_FAILED', async () => {
      const broker = await makeBroker();
      const failure = await submitted(broker, order({ symbol })).catch((error: unknown) => error);
      expect(isLivegateError(failure, 'ERR_BROKER_FAILED')).toBe(true);
      await broker.close();
    });

    it.each(['buy', 'sell'] as const)('reports a fill for a market %s order', async (side) => {
      const { broker, listener } = await connected();
      const marketOrder = order({ symbol, side, quantity: 2 });
      await submitted(broker, marketOrder);
      await waitFor(() => listener.fills.length === 1, 'a fill');
      expect(listener.fills[0]).toMatchObject({
        orderId: marketOrder.id,
        symbol,
        side,
        quantity: 2,
      });
      expect(listener.fills[0]!.price).toBeGreaterThan(0);
      expect(listener.rejects).toEqual([]);
      expect(broker.openOrders()).toEqual([]);
      // Its fill says it is done: a done report as well would be a second ending.
      expect(listener.done).toEqual([]);
      await broker.close();
    });

    it('lists a resting limit order in openOrders() until cancel() removes it', async () => {
      const { broker, listener } = await connected();
      const limit = restingLimit();
      await submitted(broker, limit);
      await waitFor(() => broker.openOrders().length === 1, 'the order to rest');
      expect(broker.openOrders()[0]).toMatchObject({ id: limit.id });
      expect(await broker.cancel(limit.id)).toBe(true);
      expect(broker.openOrders()).toEqual([]);
      expect(listener.fills).toEqual([]);
      await broker.close();
    });

    it('answers cancel() of an unknown order with false', async () => {
      const { broker } = await connected();
      expect(await broker.cancel('no-such-order')).toBe(false);
      await broker.close();
    });

    it('cancels every open order with cancelAll() and says how many', async () => {
      const { broker } = await connected();
      for (let index = 0; index < 3; index += 1) await submitted(broker, restingLimit());
      await waitFor(() => broker.openOrders().length === 3, 'three resting orders');
      expect(await broker.cancelAll()).toBe(3);
      expect(broker.openOrders()).toEqual([]);
      expect(await broker.cancelAll()).toBe(0);
      await broker.close();
    });

    it('reports each order cancel() or cancelAll() ends through onOrderDone, once', async () => {
      const { broker, listener } = await connected();
      const orders = [restingLimit(), restingLimit(), restingLimit()];
      for (const limit of orders) await submitted(broker, limit);
      await waitFor(() => broker.openOrders().length === 3, 'three resting orders');
      expect(await broker.cancel(orders[0]!.id)).toBe(true);
      expect(await broker.cancelAll()).toBe(2);
      // The engine counts a working order as exposure until this report: it must come, and once.
      await waitFor(() => listener.done.length >= 3, 'three done reports');
      expect(await broker.cancelAll()).toBe(0);
      expect(listener.done).toHaveLength(3);
      expect(listener.done).toEqual(
        expect.arrayContaining(orders.map((limit) => ({ orderId: limit.id, reason: 'cancelled' }))),
      );
      expect(listener.fills).toEqual([]);
      await broker.close();
    });

    it('rejects an order with a non-positive quantity through onReject, not by throwing', async () => {
      const { broker, listener } = await connected();
      const bad = order({ symbol, quantity: 0 });
      await submitted(broker, bad);
      await waitFor(() => listener.rejects.length === 1, 'a rejection');
      expect(listener.rejects[0]).toMatchObject({ orderId: bad.id });
      expect(listener.rejects[0]!.reason).toMatch(/\S/);
      expect(listener.fills).toEqual([]);
      await broker.close();
    });

    it('refuses submit() after close() with ERR_BROKER_FAILED', async () => {
      const { broker } = await connected();
      await broker.close();
      const failure = await submitted(broker, order({ symbol })).catch((error: unknown) => error);
      expect(isLivegateError(failure, 'ERR_BROKER_FAILED')).toBe(true);
    });
  });
}

function roundTo5(price: number): number {
  return Math.round(price * 100_000) / 100_000;
}

// The paper broker fills at the touch, works resting limits, rejects bad orders as data, and keeps positions.
import { describe, expect, it } from 'vitest';
import { PaperBroker } from '../../src/adapters/brokers/paper-broker.js';
import { ManualClock } from '../../src/core/clock.js';
import { InstrumentCatalog } from '../../src/core/instrument-catalog.js';
import type { Order, Tick } from '../../src/core/types.js';
import { order, recordingListener } from '../contracts/broker.contract.js';

function quote(bid: number, ask: number, symbol = 'EURUSD'): Tick {
  return { symbol, bid, ask, time: 0 };
}

async function connectedBroker(): Promise<{
  broker: PaperBroker;
  listener: ReturnType<typeof recordingListener>;
  clock: ManualClock;
}> {
  const clock = new ManualClock(1_000);
  const broker = new PaperBroker({ clock });
  const listener = recordingListener();
  await broker.connect(listener);
  return { broker, listener, clock };
}

describe('PaperBroker', () => {
  it('charges feeRate of the fill value (contract size included) in the quote currency', async () => {
    const broker = new PaperBroker({
      clock: new ManualClock(1_000),
      feeRate: 0.0001,
      instruments: new InstrumentCatalog('USD', {
        XAUUSD: { base: 'XAU', quote: 'USD', contractSize: 100 },
      }),
    });
    const listener = recordingListener();
    await broker.connect(listener);
    broker.observeTick(quote(1999, 2001, 'XAUUSD'));
    broker.observeTick(quote(149.99, 150.01, 'USDJPY'));
    broker.submit(order({ id: 'gold', symbol: 'XAUUSD', quantity: 2 }));
    broker.submit(order({ id: 'yen', symbol: 'USDJPY', quantity: 1000, side: 'sell' }));
    expect(listener.fills[0]).toMatchObject({ price: 2001, feeCurrency: 'USD' });
    expect(listener.fills[0]?.fee).toBeCloseTo(0.0001 * 2 * 100 * 2001, 9);
    expect(listener.fills[1]).toMatchObject({ price: 149.99, feeCurrency: 'JPY' });
    expect(listener.fills[1]?.fee).toBeCloseTo(0.0001 * 1000 * 149.99, 9);
  });

  it('fills a market buy at the ask and a sell at the bid before submit() returns', async () => {
    const { broker, listener } = await connectedBroker();
    broker.observeTick(quote(1.1, 1.1002));
    broker.submit(order({ id: 'b', side: 'buy', quantity: 3 }));
    expect(listener.fills).toEqual([
      { orderId: 'b', symbol: 'EURUSD', side: 'buy', quantity: 3, price: 1.1002, time: 1_000 },
    ]);
    broker.submit(order({ id: 's', side: 'sell', quantity: 1 }));
    expect(listener.fills[1]).toMatchObject({ orderId: 's', price: 1.1 });
  });

  it('stamps fills with the injected clock', async () => {
    const { broker, listener, clock } = await connectedBroker();
    broker.observeTick(quote(1, 2));
    clock.advance(500);
    broker.submit(order());
    expect(listener.fills[0]!.time).toBe(1_500);
  });

  it('rejects a market order with NO_QUOTE until its symbol has a quote', async () => {
    const { broker, listener } = await connectedBroker();
    broker.observeTick(quote(1, 2, 'GBPUSD'));
    broker.submit(order({ id: 'early', symbol: 'EURUSD' }));
    expect(listener.rejects).toEqual([{ orderId: 'early', reason: 'NO_QUOTE' }]);
    expect(listener.fills).toEqual([]);
  });

  it('uses the latest quote for each symbol', async () => {
    const { broker, listener } = await connectedBroker();
    broker.observeTick(quote(1, 2));
    broker.observeTick(quote(3, 4));
    broker.observeTick(quote(10, 11, 'GBPUSD'));
    broker.submit(order({ symbol: 'EURUSD' }));
    expect(listener.fills[0]!.price).toBe(4);
    expect(broker.quote('GBPUSD')).toMatchObject({ bid: 10 });
  });

  it('fills a marketable limit at once at the touch, not at the limit', async () => {
    const { broker, listener } = await connectedBroker();
    broker.observeTick(quote(1.1, 1.1002));
    broker.submit(order({ id: 'b', type: 'limit', side: 'buy', price: 1.2 }));
    broker.submit(order({ id: 's', type: 'limit', side: 'sell', price: 1.0 }));
    expect(listener.fills.map((fill) => [fill.orderId, fill.price])).toEqual([
      ['b', 1.1002],
      ['s', 1.1],
    ]);
    expect(broker.openOrders()).toEqual([]);
  });

  it('rests a limit that is not marketable, even with no quote yet, and fills it at its price once crossed', async () => {
    const { broker, listener } = await connectedBroker();
    const buy = order({ id: 'buy', type: 'limit', side: 'buy', price: 1.095 });
    broker.submit(buy);
    broker.observeTick(quote(1.1, 1.1002));
    expect(broker.openOrders()).toEqual([buy]);
    broker.observeTick(quote(1.094, 1.0949));
    expect(listener.fills).toEqual([expect.objectContaining({ orderId: 'buy', price: 1.095 })]);
    expect(broker.openOrders()).toEqual([]);
    expect(broker.position('EURUSD')).toBe(1);
  });

  it('fills a resting sell limit when the bid reaches it, and leaves other symbols alone', async () => {
    const { broker, listener } = await connectedBroker();
    broker.observeTick(quote(1.1, 1.1002));
    broker.submit(order({ id: 'sell', type: 'limit', side: 'sell', price: 1.2 }));
    broker.observeTick(quote(1.3, 1.31, 'GBPUSD'));
    expect(listener.fills).toEqual([]);
    broker.observeTick(quote(1.2, 1.2002));
    expect(listener.fills).toEqual([expect.objectContaining({ orderId: 'sell', price: 1.2 })]);
    expect(broker.position('EURUSD')).toBe(-1);
  });

  it('fills crossed resting orders oldest first and lets the listener trade from inside onFill', async () => {
    const broker = new PaperBroker();
    const filled: string[] = [];
    await broker.connect({
      onFill: (fill) => {
        filled.push(fill.orderId);
        if (fill.orderId === 'first') broker.submit(order({ id: 'from-listener' }));
      },
      onReject: () => undefined,
      onOrderDone: () => undefined,
    });
    broker.submit(order({ id: 'first', type: 'limit', price: 1 }));
    broker.submit(order({ id: 'second', type: 'limit', price: 1 }));
    broker.observeTick(quote(0.5, 0.9));
    expect(filled).toEqual(['first', 'from-listener', 'second']);
    expect(broker.openOrders()).toEqual([]);
  });

  it.each<[string, Partial<Order>]>([
    ['INVALID_QUANTITY', { quantity: 0 }],
    ['INVALID_QUANTITY', { quantity: -1 }],
    ['INVALID_QUANTITY', { quantity: Number.NaN }],
    ['LIMIT_PRICE_REQUIRED', { type: 'limit', price: undefined }],
    ['INVALID_PRICE', { type: 'limit', price: 0 }],
    ['INVALID_PRICE', { type: 'limit', price: Number.POSITIVE_INFINITY }],
    ['INVALID_SYMBOL', { symbol: '' }],
    ['INVALID_SIDE', { side: 'hold' as never }],
    ['INVALID_ORDER_TYPE', { type: 'stop' as never }],
  ])('rejects with %s through onReject', async (reason, change) => {
    const { broker, listener } = await connectedBroker();
    broker.observeTick(quote(1, 2));
    const bad = order(change);
    expect(() => broker.submit(bad)).not.toThrow();
    expect(listener.rejects).toEqual([{ orderId: bad.id, reason }]);
    expect(listener.fills).toEqual([]);
    expect(broker.openOrders()).toEqual([]);
  });

  it('rejects a second resting order with the same id', async () => {
    const { broker, listener } = await connectedBroker();
    broker.submit(order({ id: 'twin', type: 'limit', price: 1 }));
    broker.submit(order({ id: 'twin', type: 'limit', price: 1 }));
    expect(listener.rejects).toEqual([{ orderId: 'twin', reason: 'DUPLICATE_ORDER_ID' }]);
    expect(broker.openOrders().length).toBe(1);
  });

  it('cancels a resting order so a later cross does not fill it', async () => {
    const { broker, listener } = await connectedBroker();
    broker.submit(order({ id: 'gone', type: 'limit', price: 1 }));
    broker.submit(order({ id: 'kept', type: 'limit', price: 1, symbol: 'GBPUSD' }));
    expect(await broker.cancel('gone')).toBe(true);
    expect(await broker.cancel('gone')).toBe(false);
    broker.observeTick(quote(0.5, 0.9));
    expect(listener.fills).toEqual([]);
    expect(broker.openOrders().map((open) => open.id)).toEqual(['kept']);
    expect(await broker.cancelAll()).toBe(1);
    broker.observeTick(quote(0.5, 0.9, 'GBPUSD'));
    expect(listener.fills).toEqual([]);
  });

  describe('positions', () => {
    async function traded(...trades: [side: 'buy' | 'sell', quantity: number, price: number][]) {
      const { broker } = await connectedBroker();
      for (const [side, quantity, price] of trades) {
        broker.observeTick(quote(price, price));
        broker.submit(order({ side, quantity }));
      }
      return broker;
    }

    it('averages the price when a position grows', async () => {
      const broker = await traded(['buy', 1, 1.0], ['buy', 3, 2.0]);
      expect(broker.positions()).toEqual([{ symbol: 'EURUSD', quantity: 4, averagePrice: 1.75 }]);
    });

    it('averages a growing short the same way', async () => {
      const broker = await traded(['sell', 2, 1.0], ['sell', 2, 2.0]);
      expect(broker.positions()).toEqual([{ symbol: 'EURUSD', quantity: -4, averagePrice: 1.5 }]);
    });

    it('keeps the average price when a position shrinks', async () => {
      const broker = await traded(['buy', 4, 1.0], ['sell', 1, 5.0]);
      expect(broker.positions()).toEqual([{ symbol: 'EURUSD', quantity: 3, averagePrice: 1.0 }]);
      expect(broker.position('EURUSD')).toBe(3);
    });

    it('starts again at the fill price when a position flips', async () => {
      const broker = await traded(['buy', 2, 1.0], ['sell', 5, 3.0]);
      expect(broker.positions()).toEqual([{ symbol: 'EURUSD', quantity: -3, averagePrice: 3.0 }]);
    });

    it('drops a position that goes flat, even through fractional quantities', async () => {
      const broker = await traded(['buy', 0.1, 1], ['buy', 0.2, 1], ['sell', 0.3, 1]);
      expect(broker.positions()).toEqual([]);
      expect(broker.position('EURUSD')).toBe(0);
    });

    it('tracks symbols separately', async () => {
      const { broker } = await connectedBroker();
      broker.observeTick(quote(1, 1));
      broker.observeTick(quote(2, 2, 'GBPUSD'));
      broker.submit(order({ symbol: 'EURUSD', side: 'buy', quantity: 1 }));
      broker.submit(order({ symbol: 'GBPUSD', side: 'sell', quantity: 2 }));
      expect(broker.positions()).toEqual([
        { symbol: 'EURUSD', quantity: 1, averagePrice: 1 },
        { symbol: 'GBPUSD', quantity: -2, averagePrice: 2 },
      ]);
    });
  });

  it('drops resting orders on close() and keeps positions readable', async () => {
    const { broker } = await connectedBroker();
    broker.observeTick(quote(1, 1));
    broker.submit(order({ quantity: 2 }));
    broker.submit(order({ type: 'limit', price: 0.5 }));
    await broker.close();
    expect(broker.openOrders()).toEqual([]);
    expect(broker.position('EURUSD')).toBe(2);
  });
});

// Open-order counting from the engine's event stream, hand-built and from a real engine run.
import { describe, expect, it } from 'vitest';
import { PaperBroker } from '../../../src/adapters/brokers/paper-broker.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { LivegateEvent } from '../../../src/core/events.js';
import type { OrderType, Side } from '../../../src/core/types.js';
import { LiveEngine } from '../../../src/engine/live-engine.js';
import { PreTradeRiskEngine } from '../../../src/risk/pre-trade/pre-trade-risk-engine.js';
import { collect, openKillSwitch, ScriptedStrategy, ticks } from '../../engine/engine-fixtures.js';

const T0 = 1_700_000_000_000;
const base = { time: T0, engineId: 'test' };

function submitted(
  id: string,
  type: OrderType = 'limit',
  side: Side = 'buy',
  quantity = 1,
): LivegateEvent {
  const price = type === 'limit' ? 1.09 : undefined;
  const order = {
    id,
    symbol: 'EURUSD',
    side,
    quantity,
    type,
    price,
    tag: undefined,
    createdAt: T0,
  };
  return { ...base, type: 'OrderSubmitted', order, latencyNs: 1000, revision: 1 };
}

function filled(orderId: string, position: number): LivegateEvent {
  const fill = {
    orderId,
    symbol: 'EURUSD',
    side: 'buy' as const,
    quantity: 1,
    price: 1.1,
    time: T0,
  };
  return { ...base, type: 'OrderFilled', fill, position };
}

function done(orderId: string): LivegateEvent & { type: 'OrderDone' } {
  return { ...base, type: 'OrderDone', orderId, reason: 'cancelled' };
}

function rejected(orderId: string): LivegateEvent {
  return { ...base, type: 'OrderRejected', orderId, reason: 'NO_QUOTE' };
}

function chain(maxOpenOrders = 100): PreTradeRiskEngine {
  const risk = new PreTradeRiskEngine({ maxOpenOrders }, { clock: new ManualClock(T0) });
  risk.observeTick({ symbol: 'EURUSD', bid: 1.0999, ask: 1.1001, time: T0 });
  return risk;
}

describe('open-order tracking', () => {
  it('counts resting limit orders until they fill or the broker reports each one done', () => {
    const risk = chain();
    risk.onEvent(submitted('o1'));
    risk.onEvent(submitted('o2'));
    risk.onEvent(submitted('o3'));
    expect(risk.openOrders).toBe(3);
    risk.onEvent(filled('o2', 1));
    expect(risk.openOrders).toBe(2);
    // A cancel-all's count is not a close: an order it missed (filled in the race) still counts.
    risk.onEvent({ ...base, type: 'OrdersCancelled', count: 2, reason: 'kill-switch-engaged' });
    expect(risk.openOrders).toBe(2);
    risk.onEvent(done('o1'));
    risk.onEvent({ ...done('o3'), reason: 'expired' });
    expect(risk.openOrders).toBe(0);
  });

  it('keeps a partly filled order open until the rest fills', () => {
    const risk = chain();
    risk.onEvent(submitted('p1', 'limit', 'buy', 3));
    risk.onEvent(filled('p1', 1));
    risk.onEvent(filled('p1', 2));
    expect(risk.openOrders).toBe(1);
    risk.onEvent(filled('p1', 3));
    expect(risk.openOrders).toBe(0);
  });

  it('counts a market order only until its fill arrives after the submit', () => {
    const risk = chain();
    risk.onEvent(submitted('m1', 'market'));
    expect(risk.openOrders).toBe(1);
    risk.onEvent(filled('m1', 1));
    expect(risk.openOrders).toBe(0);
  });

  it('does not open an order the broker rejected inside submit, before OrderSubmitted', () => {
    const risk = chain();
    risk.onEvent(rejected('r1'));
    risk.onEvent(submitted('r1', 'market'));
    risk.onEvent(submitted('o2'));
    expect(risk.openOrders).toBe(1);
  });

  it('closes an order on a later reject, and keeps one whose broker call failed', () => {
    const risk = chain();
    risk.onEvent(submitted('o1'));
    risk.onEvent(submitted('o2'));
    risk.onEvent(rejected('o1'));
    risk.onEvent({
      ...base,
      type: 'BrokerFailed',
      message: 'timeout',
      orderId: 'o2',
      consecutiveErrors: 1,
    });
    expect(risk.openOrders).toBe(1);
  });

  it('denies at the limit and accepts again once an order closes', () => {
    const risk = chain(2);
    risk.onEvent(submitted('o1'));
    risk.onEvent(submitted('o2'));
    const signal = {
      symbol: 'EURUSD',
      side: 'sell' as const,
      quantity: 1,
      type: 'market' as const,
    };
    expect(risk.check(signal, 0, T0)?.code).toBe('MAX_OPEN_ORDERS_EXCEEDED');
    risk.onEvent(filled('o1', 1));
    expect(risk.check(signal, 1, T0)).toBeNull();
  });

  it('follows a real engine and paper broker: resting limits count, filled markets do not', async () => {
    const { killSwitch } = await openKillSwitch();
    const risk = new PreTradeRiskEngine({ maxOpenOrders: 3 });
    const limitBuy = {
      symbol: 'EURUSD',
      side: 'buy',
      quantity: 1,
      type: 'limit',
      price: 1.09,
    } as const;
    const marketBuy = { symbol: 'EURUSD', side: 'buy', quantity: 1, type: 'market' } as const;
    const strategy = new ScriptedStrategy((_tick, _context, call) => {
      if (call === 3) return marketBuy;
      return call <= 5 ? limitBuy : null;
    });
    const engine = new LiveEngine({
      killSwitch,
      strategy,
      broker: new PaperBroker(),
      preTradeRisk: risk,
      cancelOpenOrdersOnShutdown: true,
    });
    const seen = collect((listener) => engine.on(listener));
    const openAtEachDecision: number[] = [];
    engine.on((event) => {
      if (event.type === 'OrderSubmitted' || event.type === 'OrderDenied') {
        openAtEachDecision.push(risk.openOrders);
      }
    });
    const summary = await engine.run(ticks(6));
    expect(summary.ordersSubmitted).toBe(4);
    expect(seen.ofType('OrderDenied')).toEqual([
      expect.objectContaining({
        code: 'MAX_OPEN_ORDERS_EXCEEDED',
        details: { limit: 3, actual: 4 },
      }),
    ]);
    expect(seen.ofType('OrderFilled')).toHaveLength(1);
    // The market order's fill lands right after its OrderSubmitted, so it is open only briefly.
    expect(openAtEachDecision).toEqual([1, 2, 3, 3, 3]);
    expect(risk.openOrders).toBe(0);
  });
});

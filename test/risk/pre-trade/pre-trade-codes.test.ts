// One scenario per denial code, each asserting the numbers in `details`; the table must cover PRE_TRADE_CODES.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { LivegateEvent } from '../../../src/core/events.js';
import type { Side, Signal, Tick } from '../../../src/core/types.js';
import {
  PRE_TRADE_CODES,
  PreTradeRiskEngine,
  type PreTradeCode,
} from '../../../src/risk/pre-trade/pre-trade-risk-engine.js';
import type { PreTradeLimits } from '../../../src/risk/pre-trade/pre-trade-limits.js';
import type { PreTradeDenial } from '../../../src/risk/risk-ports.js';
import {
  AggregateHeadroom,
  AggregateHeadrooms,
} from '../../../src/risk/desk/aggregate-headroom.js';
import { tradingWindowsSchema } from '../../../src/risk/windows/trading-window-options.js';
import { TradingWindows } from '../../../src/risk/windows/trading-windows.js';

const T0 = 1_700_000_000_000;

function quote(symbol: string, mid: number): Tick {
  return { symbol, bid: mid - 0.0001, ask: mid + 0.0001, time: T0 };
}

function market(side: Side, quantity: number, symbol = 'EURUSD'): Signal {
  return { symbol, side, quantity, type: 'market' };
}

function limit(side: Side, quantity: number, price: number, symbol = 'EURUSD'): Signal {
  return { symbol, side, quantity, type: 'limit', price };
}

function filled(symbol: string, position: number): LivegateEvent {
  return {
    type: 'OrderFilled',
    time: T0,
    engineId: 'test',
    fill: { orderId: `fill-${symbol}`, symbol, side: 'buy', quantity: 1, price: 1, time: T0 },
    position,
  };
}

function submitted(id: string): LivegateEvent {
  return {
    type: 'OrderSubmitted',
    time: T0,
    engineId: 'test',
    latencyNs: 1000,
    revision: 1,
    order: {
      id,
      symbol: 'EURUSD',
      side: 'buy',
      quantity: 1,
      type: 'limit',
      price: 1.05,
      tag: undefined,
      createdAt: T0,
    },
  };
}

/** Desk fx as last listed 100 ms before T0: the rest of the desk holds 700 EURUSD. */
function deskChain(listedAt: number) {
  const desk = new AggregateHeadroom('desk:fx', { maxPosition: 1000 }, 3000);
  desk.viewedAt = listedAt;
  desk.staleAt = listedAt + 3000;
  desk.settle();
  desk.restNet = new Map([['EURUSD', 700]]);
  const chain = new PreTradeRiskEngine(
    {},
    { clock: new ManualClock(T0), aggregates: new AggregateHeadrooms([desk]) },
  );
  chain.observeTick(quote('EURUSD', 1.1));
  return chain;
}

/** A chain with EURUSD quoted at mid 1.1 (and any extra quotes), time at T0. */
function chainWith(limits: PreTradeLimits, quotes: Tick[] = [quote('EURUSD', 1.1)]) {
  const chain = new PreTradeRiskEngine(limits, { clock: new ManualClock(T0) });
  for (const next of quotes) chain.observeTick(next);
  return chain;
}

interface Scenario {
  readonly denial: PreTradeDenial | null;
  readonly details: Record<string, number | string>;
}

const scenarios: Record<PreTradeCode, () => Scenario> = {
  UNKNOWN_INSTRUMENT: () => ({
    denial: chainWith({ symbols: { EURUSD: {} } }).check(market('buy', 1, 'GBPUSD'), 0, T0),
    details: { symbol: 'GBPUSD', knownSymbols: 1 },
  }),
  RESTRICTED_SYMBOL: () => ({
    denial: chainWith({ restrictedSymbols: ['EURUSD'] }).check(market('buy', 1), 0, T0),
    details: { symbol: 'EURUSD' },
  }),
  INVALID_QUANTITY: () => ({
    denial: chainWith({}).check(market('buy', -3), 0, T0),
    details: { actual: -3 },
  }),
  QUANTITY_NOT_LOT_MULTIPLE: () => ({
    denial: chainWith({ defaults: { lotSize: 1000 } }).check(market('buy', 1500), 0, T0),
    details: { limit: 1000, actual: 1500 },
  }),
  QUANTITY_BELOW_MIN: () => ({
    denial: chainWith({ defaults: { minQuantity: 10 } }).check(market('buy', 5), 0, T0),
    details: { limit: 10, actual: 5 },
  }),
  MAX_ORDER_QUANTITY_EXCEEDED: () => ({
    denial: chainWith({ defaults: { maxQuantity: 100 } }).check(market('buy', 101), 0, T0),
    details: { limit: 100, actual: 101 },
  }),
  INVALID_PRICE: () => ({
    denial: chainWith({}).check(limit('buy', 1, 0), 0, T0),
    details: { actual: 0 },
  }),
  PRICE_OFF_TICK_GRID: () => ({
    denial: chainWith({ defaults: { tickSize: 0.0001 } }).check(limit('buy', 1, 1.10005), 0, T0),
    details: { limit: 0.0001, actual: 1.10005 },
  }),
  MAX_NOTIONAL_EXCEEDED: () => ({
    denial: chainWith({ defaults: { maxOrderNotional: 1000 } }).check(
      limit('buy', 1000, 1.09),
      0,
      T0,
    ),
    details: { limit: 1000, actual: 1090, price: 1.09, quantity: 1000 },
  }),
  MIN_NOTIONAL_NOT_MET: () => ({
    denial: chainWith({ defaults: { minOrderNotional: 5 } }).check(limit('buy', 4, 1.1), 0, T0),
    details: { limit: 5, actual: 4.4, price: 1.1 },
  }),
  MAX_POSITION_EXCEEDED: () => ({
    denial: chainWith({ defaults: { maxPosition: 100 } }).check(market('buy', 20), 90, T0),
    details: { limit: 100, actual: 110, position: 90, working: 0 },
  }),
  MAX_GROSS_EXPOSURE_EXCEEDED: () => {
    const chain = chainWith({ maxGrossExposure: 3000 }, [
      quote('EURUSD', 1.25),
      quote('GBPUSD', 1.5),
    ]);
    chain.onEvent(filled('GBPUSD', -1000));
    return {
      denial: chain.check(market('buy', 1300), 0, T0),
      details: { limit: 3000, actual: 1500 + 1625, before: 1500 },
    };
  },
  PRICE_COLLAR_BREACHED: () => ({
    denial: chainWith({ defaults: { tickSize: 0.01 } }, [quote('EURUSD', 100)]).check(
      limit('buy', 1, 106),
      0,
      T0,
    ),
    details: { limit: 5, actual: 6, unit: 'percent', referencePrice: 100, price: 106 },
  }),
  // EURCHF has a mid but CHF has no pair against USD on this feed and no configured rate.
  NO_CONVERSION_RATE: () => ({
    denial: chainWith({}, [quote('EURCHF', 0.95)]).check(market('buy', 1, 'EURCHF'), 0, T0),
    details: { symbol: 'EURCHF', currency: 'CHF', accountCurrency: 'USD', rate: 'missing' },
  }),
  NO_REFERENCE_PRICE: () => ({
    denial: chainWith({}, []).check(market('buy', 1), 0, T0),
    details: { symbol: 'EURUSD', check: 'market' },
  }),
  ORDER_RATE_EXCEEDED: () => {
    const chain = chainWith({ defaults: { maxOrdersPerSecond: 2 } });
    chain.check(market('buy', 1), 0, T0);
    chain.check(market('buy', 2), 0, T0);
    return {
      denial: chain.check(market('buy', 3), 0, T0 + 250),
      details: { scope: 'EURUSD', limit: 2, burst: 2, actual: 0.5, retryAfterMs: 250 },
    };
  },
  MAX_OPEN_ORDERS_EXCEEDED: () => {
    const chain = chainWith({ maxOpenOrders: 2 });
    chain.onEvent(submitted('a'));
    chain.onEvent(submitted('b'));
    return { denial: chain.check(market('buy', 1), 0, T0), details: { limit: 2, actual: 3 } };
  },
  OUTSIDE_TRADING_WINDOW: () => {
    // T0 is Tuesday 14 November 2023, 22:13 UTC: after a 09:00-17:00 UTC window.
    const windows = new TradingWindows(
      tradingWindowsSchema.parse({ default: { timeZone: 'UTC', open: '09:00', close: '17:00' } }),
    );
    const chain = new PreTradeRiskEngine({}, { clock: new ManualClock(T0), windows });
    chain.observeTick(quote('EURUSD', 1.1));
    return {
      denial: chain.check(market('buy', 1), 0, T0),
      details: {
        symbol: 'EURUSD',
        window: 'default',
        phase: 'closed',
        timeZone: 'UTC',
        nextOpen: '2023-11-15T09:00:00.000Z',
      },
    };
  },
  DESK_LIMIT: () => ({
    denial: deskChain(T0 - 100).check(market('buy', 301), 0, T0),
    details: {
      scope: 'desk:fx',
      rule: 'maxPosition',
      symbol: 'EURUSD',
      limit: 1000,
      actual: 1001,
      rest: 700,
      own: 301,
      viewAgeMs: 100,
    },
  }),
  DESK_VIEW_STALE: () => ({
    denial: deskChain(T0 - 3500).check(market('buy', 1), 0, T0),
    details: { scope: 'desk:fx', ageMs: 3500, maxAgeMs: 3000 },
  }),
  DUPLICATE_ORDER: () => {
    const chain = chainWith({ duplicateWindowMs: 100 });
    chain.check(limit('buy', 5, 1.099), 0, T0);
    return {
      denial: chain.check(limit('buy', 5, 1.099), 0, T0 + 40),
      details: { limit: 100, actual: 40 },
    };
  },
};

/** Float results (collar %, gross) are compared to 9 significant digits. */
function expectDetails(actual: PreTradeDenial | null, expected: Record<string, number | string>) {
  expect(actual).not.toBeNull();
  const details = actual?.details ?? {};
  expect(Object.keys(details).sort()).toEqual(Object.keys(expected).sort());
  for (const [key, value] of Object.entries(expected)) {
    if (typeof value === 'number') expect(details[key]).toBeCloseTo(value, 9);
    else expect(details[key]).toBe(value);
  }
}

describe('PreTradeRiskEngine denial codes', () => {
  it('has a scenario for every code in PRE_TRADE_CODES', () => {
    expect(Object.keys(scenarios).sort()).toEqual(Object.keys(PRE_TRADE_CODES).sort());
  });

  it.each(Object.keys(scenarios) as PreTradeCode[])(
    'denies with %s and the numbers behind it',
    (code) => {
      const { denial, details } = scenarios[code]();
      expect(denial?.code).toBe(code);
      expectDetails(denial, details);
    },
  );

  it('accepts an order that is inside every limit', () => {
    const chain = chainWith({
      symbols: { EURUSD: { lotSize: 1000, maxQuantity: 1_000_000, maxPosition: 5_000_000 } },
      maxGrossExposure: 10_000_000,
      maxOpenOrders: 10,
      maxOrdersPerSecond: 100,
      duplicateWindowMs: 50,
    });
    expect(chain.check(limit('buy', 100_000, 1.1), 0, T0)).toBeNull();
    expect(chain.check(market('sell', 50_000), 100_000, T0 + 1)).toBeNull();
  });

  it('returns the first denial in chain order when an order breaks several limits', () => {
    const chain = chainWith({
      restrictedSymbols: ['EURUSD'],
      defaults: { maxQuantity: 10, maxOrderNotional: 1 },
    });
    expect(chain.check(market('buy', 500), 0, T0)?.code).toBe('RESTRICTED_SYMBOL');
    const open = chainWith({ defaults: { maxQuantity: 10, maxOrderNotional: 1 } });
    expect(open.check(market('buy', 500), 0, T0)?.code).toBe('MAX_ORDER_QUANTITY_EXCEEDED');
  });
});

// Order-shape, price and exposure checks through the whole chain: grids, collars, positions, symbols.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { Side, Signal, Tick } from '../../../src/core/types.js';
import { isMultipleOf, exceeds } from '../../../src/risk/pre-trade/float-grid.js';
import type { PreTradeLimits } from '../../../src/risk/pre-trade/pre-trade-limits.js';
import { PreTradeRiskEngine } from '../../../src/risk/pre-trade/pre-trade-risk-engine.js';

const T0 = 1_700_000_000_000;

function quote(symbol: string, bid: number, ask: number): Tick {
  return { symbol, bid, ask, time: T0 };
}

function market(side: Side, quantity: number, symbol = 'EURUSD'): Signal {
  return { symbol, side, quantity, type: 'market' };
}

function limit(side: Side, quantity: number, price: number, symbol = 'EURUSD'): Signal {
  return { symbol, side, quantity, type: 'limit', price };
}

function chainWith(limits: PreTradeLimits, quotes: Tick[] = [quote('EURUSD', 1.0999, 1.1001)]) {
  const chain = new PreTradeRiskEngine(limits, { clock: new ManualClock(T0) });
  for (const next of quotes) chain.observeTick(next);
  return chain;
}

function codeOf(chain: PreTradeRiskEngine, signal: Signal, position = 0): string | null {
  return chain.check(signal, position, T0)?.code ?? null;
}

describe('float grids', () => {
  it('treats decimal multiples as multiples despite binary rounding', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(isMultipleOf(0.3, 0.1)).toBe(true);
    expect(isMultipleOf(0.7, 0.1)).toBe(true);
    expect(isMultipleOf(1.10001, 0.00001)).toBe(true);
    expect(isMultipleOf(150.123, 0.001)).toBe(true);
    expect(isMultipleOf(123_456_789.01, 0.01)).toBe(true);
    expect(isMultipleOf(0.35, 0.1)).toBe(false);
    expect(isMultipleOf(1.100005, 0.00001)).toBe(false);
    expect(isMultipleOf(123_456_789.015, 0.01)).toBe(false);
  });

  it('does not call a product a breach when it only differs by float noise', () => {
    expect(3 * 1.1).toBeGreaterThan(3.3);
    expect(exceeds(3 * 1.1, 3.3)).toBe(false);
    expect(exceeds(3.31, 3.3)).toBe(true);
    expect(exceeds(1e300, Infinity)).toBe(false);
  });

  it('accepts lot multiples like 0.3 of a 0.1 lot and denies 0.35', () => {
    const chain = chainWith({ defaults: { lotSize: 0.1 } });
    expect(codeOf(chain, market('buy', 0.3))).toBeNull();
    expect(codeOf(chain, market('buy', 0.1 + 0.2))).toBeNull();
    expect(codeOf(chain, market('buy', 0.35))).toBe('QUANTITY_NOT_LOT_MULTIPLE');
  });

  it('checks limit prices against the tick grid, per symbol', () => {
    const chain = chainWith({ symbols: { EURUSD: {}, USDJPY: { tickSize: 0.001 } } }, [
      quote('EURUSD', 1.0999, 1.1001),
      quote('USDJPY', 150.1, 150.2),
    ]);
    expect(codeOf(chain, limit('buy', 1, 1.10001))).toBeNull();
    expect(codeOf(chain, limit('buy', 1, 1.100015))).toBe('PRICE_OFF_TICK_GRID');
    expect(codeOf(chain, limit('sell', 1, 150.123, 'USDJPY'))).toBeNull();
    expect(codeOf(chain, limit('sell', 1, 150.1235, 'USDJPY'))).toBe('PRICE_OFF_TICK_GRID');
  });

  it('accepts a notional exactly at the limit even when the product rounds above it', () => {
    const chain = chainWith({ defaults: { maxOrderNotional: 3.3, tickSize: 0.1 } });
    expect(codeOf(chain, limit('buy', 3, 1.1))).toBeNull();
    expect(codeOf(chain, limit('buy', 4, 1.1))).toBe('MAX_NOTIONAL_EXCEEDED');
  });
});

describe('quantity and price shape', () => {
  it('names non-finite quantities and prices in words, since JSON has no NaN', () => {
    const chain = chainWith({});
    expect(chain.check(market('buy', Number.NaN), 0, T0)?.details).toEqual({ actual: 'NaN' });
    expect(chain.check(market('buy', Infinity), 0, T0)?.details).toEqual({ actual: 'Infinity' });
    expect(chain.check(market('buy', 0), 0, T0)?.code).toBe('INVALID_QUANTITY');
    const fromJavaScript = { ...market('buy', 1), quantity: '5' as unknown as number };
    expect(chain.check(fromJavaScript, 0, T0)?.details).toEqual({ actual: '"5"' });
    const noPrice: Signal = { symbol: 'EURUSD', side: 'buy', quantity: 1, type: 'limit' };
    expect(chain.check(noPrice, 0, T0)).toMatchObject({
      code: 'INVALID_PRICE',
      details: { actual: 'missing' },
    });
    expect(chain.check(limit('buy', 1, -1.1), 0, T0)?.code).toBe('INVALID_PRICE');
  });

  it('defaults the minimum to the lot size and the maximum to 1,000,000', () => {
    const chain = chainWith({ defaults: { lotSize: 0.5 } });
    expect(chain.limitsFor('EURUSD')).toMatchObject({ minQuantity: 0.5, maxQuantity: 1_000_000 });
    expect(codeOf(chain, market('buy', 1_000_000))).toBeNull();
    expect(codeOf(chain, market('buy', 1_000_000.5))).toBe('MAX_ORDER_QUANTITY_EXCEEDED');
    expect(codeOf(chain, market('buy', 0.5))).toBeNull();
  });

  it('ignores the price carried by a market order and values it at the mid', () => {
    const chain = chainWith({ defaults: { maxOrderNotional: 1200 } });
    const withStrayPrice: Signal = { ...market('buy', 1000), price: 99 };
    expect(codeOf(chain, withStrayPrice)).toBeNull();
    expect(chain.check(market('buy', 1100), 0, T0)?.details).toMatchObject({ price: 1.1 });
  });
});

describe('price collar and reference price', () => {
  const hundred = [quote('EURUSD', 99.99, 100.01)];

  it('applies the default 5% collar on both sides of the mid', () => {
    const chain = chainWith({ defaults: { tickSize: 0.01 } }, hundred);
    expect(codeOf(chain, limit('buy', 1, 105))).toBeNull();
    expect(codeOf(chain, limit('sell', 1, 95))).toBeNull();
    expect(codeOf(chain, limit('buy', 1, 105.01))).toBe('PRICE_COLLAR_BREACHED');
    expect(codeOf(chain, limit('sell', 1, 94.99))).toBe('PRICE_COLLAR_BREACHED');
  });

  it('applies a tick collar too, and both when both are set', () => {
    const chain = chainWith({ defaults: { tickSize: 0.01, collarTicks: 10 } }, hundred);
    expect(codeOf(chain, limit('buy', 1, 100.1))).toBeNull();
    const denial = chain.check(limit('buy', 1, 100.11), 0, T0);
    expect(denial).toMatchObject({
      code: 'PRICE_COLLAR_BREACHED',
      details: { limit: 10, unit: 'ticks', referencePrice: 100, price: 100.11 },
    });
    expect(denial?.details?.actual).toBeCloseTo(11, 9);
    const tight = chainWith(
      { defaults: { tickSize: 0.01, collarPercent: 0.05, collarTicks: 1000 } },
      hundred,
    );
    expect(tight.check(limit('buy', 1, 100.06), 0, T0)?.details).toMatchObject({ unit: 'percent' });
  });

  it('fails closed with NO_REFERENCE_PRICE before the first quote of a symbol', () => {
    const chain = chainWith({}, []);
    expect(chain.check(market('sell', 1), 0, T0)?.details).toEqual({
      symbol: 'EURUSD',
      check: 'market',
    });
    expect(chain.check(limit('buy', 1, 1.1), 0, T0)?.details).toEqual({
      symbol: 'EURUSD',
      check: 'collar',
    });
    chain.observeTick(quote('EURUSD', 1.0999, 1.1001));
    expect(codeOf(chain, market('sell', 1))).toBeNull();
  });

  it('lets a limit order through without a quote only when the collar is turned off', () => {
    const chain = chainWith({ defaults: { collarPercent: Infinity } }, []);
    expect(codeOf(chain, limit('buy', 1, 1.1))).toBeNull();
    expect(codeOf(chain, market('buy', 1))).toBe('NO_REFERENCE_PRICE');
  });

  it('forgets the mid when a quote is unusable instead of trading on a stale one', () => {
    const chain = chainWith({});
    chain.observeTick(quote('EURUSD', Number.NaN, 1.1));
    expect(codeOf(chain, market('buy', 1))).toBe('NO_REFERENCE_PRICE');
    chain.observeTick(quote('EURUSD', 1.2, 1.2002));
    expect(chain.check(limit('buy', 1, 1.1), 0, T0)?.code).toBe('PRICE_COLLAR_BREACHED');
  });
});

describe('position and gross exposure', () => {
  it('limits |position after the order| on the long and the short side', () => {
    const chain = chainWith({ defaults: { maxPosition: 100 } });
    expect(codeOf(chain, market('buy', 10), 90)).toBeNull();
    expect(codeOf(chain, market('buy', 11), 90)).toBe('MAX_POSITION_EXCEEDED');
    expect(chain.check(market('sell', 20), -90, T0)?.details).toEqual({
      limit: 100,
      actual: 110,
      position: -90,
      working: 0,
    });
    expect(codeOf(chain, market('sell', 200), 50)).toBe('MAX_POSITION_EXCEEDED');
  });

  it('lets an order that shrinks a position already over the limit through, but not a flip', () => {
    const chain = chainWith({ defaults: { maxPosition: 100 } });
    expect(codeOf(chain, market('sell', 10), 150)).toBeNull();
    expect(codeOf(chain, market('buy', 1), 150)).toBe('MAX_POSITION_EXCEEDED');
    expect(codeOf(chain, market('sell', 290), 150)).toBe('MAX_POSITION_EXCEEDED');
  });

  it('sums |position| × mid over symbols, tracking positions and marks as they move', () => {
    const chain = chainWith({ maxGrossExposure: 3000 }, [
      quote('EURUSD', 1.0999, 1.1001),
      quote('GBPUSD', 1.2999, 1.3001),
    ]);
    chain.onEvent(filledEvent('GBPUSD', 1000));
    expect(codeOf(chain, market('buy', 1500))).toBeNull();
    const denial = chain.check(market('buy', 1600), 0, T0);
    expect(denial?.code).toBe('MAX_GROSS_EXPOSURE_EXCEEDED');
    expect(denial?.details?.actual).toBeCloseTo(1760 + 1300, 6);
    chain.observeTick(quote('GBPUSD', 1.0999, 1.1001));
    expect(codeOf(chain, market('buy', 1600))).toBeNull();
    chain.onEvent(filledEvent('GBPUSD', 0));
    expect(codeOf(chain, market('buy', 2700))).toBeNull();
    expect(codeOf(chain, market('sell', 100), 2800)).toBeNull();
  });

  it('counts working orders on the side an order pushes, and only that side, toward maxPosition', () => {
    const chain = chainWith({ defaults: { maxPosition: 100 } });
    chain.onEvent(submittedEvent('b1', 'buy', 60));
    chain.onEvent(submittedEvent('s1', 'sell', 30));
    // Long worst case 0 + 60: a buy of 41 could reach 101.
    expect(chain.check(market('buy', 41), 0, T0)?.details).toEqual({
      limit: 100,
      actual: 101,
      position: 0,
      working: 60,
    });
    expect(codeOf(chain, market('buy', 40))).toBeNull();
    // Short worst case 0 − 30: the resting buy may never fill, so it makes no room for a sell.
    expect(codeOf(chain, market('sell', 71))).toBe('MAX_POSITION_EXCEEDED');
    expect(codeOf(chain, market('sell', 70))).toBeNull();
    // A partial fill moves quantity from working to filled: the worst case stays 60.
    chain.onEvent({
      ...filledEvent('EURUSD', 25),
      fill: { ...filledEvent('EURUSD', 25).fill, orderId: 'b1', quantity: 25 },
    });
    expect(codeOf(chain, market('buy', 41), 25)).toBe('MAX_POSITION_EXCEEDED');
    expect(codeOf(chain, market('buy', 40), 25)).toBeNull();
    // Cancelled: the 35 that remained stop counting.
    chain.onEvent({
      type: 'OrderDone',
      time: T0,
      engineId: 'test',
      orderId: 'b1',
      reason: 'cancelled',
    });
    expect(codeOf(chain, market('buy', 75), 25)).toBeNull();
  });

  it('marks another symbol at the worst case of its working orders for gross exposure', () => {
    const chain = chainWith({ maxGrossExposure: 3000 }, [
      quote('EURUSD', 0.9999, 1.0001),
      quote('GBPUSD', 0.9999, 1.0001),
    ]);
    chain.onEvent(submittedEvent('g1', 'buy', 500, 'GBPUSD'));
    chain.onEvent(submittedEvent('g2', 'sell', 1500, 'GBPUSD'));
    // GBPUSD counts at max(|0 + 500|, |0 − 1500|) = 1500.
    expect(codeOf(chain, market('buy', 1500))).toBeNull();
    expect(chain.check(market('buy', 1501), 0, T0)?.details?.actual).toBeCloseTo(3001, 6);
    chain.onEvent({
      type: 'OrderRejected',
      time: T0,
      engineId: 'test',
      orderId: 'g2',
      reason: 'x',
    });
    expect(codeOf(chain, market('buy', 2500))).toBeNull();
  });

  it('fails closed when another held symbol has no mid to mark it', () => {
    const chain = chainWith({ maxGrossExposure: 1e9 });
    chain.onEvent(filledEvent('USDJPY', 10));
    expect(chain.check(market('buy', 1), 0, T0)).toEqual({
      code: 'NO_REFERENCE_PRICE',
      details: { symbol: 'USDJPY', check: 'grossExposure' },
    });
  });
});

describe('known and unknown symbols', () => {
  it('trades any symbol under the defaults when `symbols` is empty', () => {
    const chain = chainWith({ defaults: { maxQuantity: 5 } }, [quote('XAUUSD', 2000, 2000.2)]);
    expect(codeOf(chain, market('buy', 5, 'XAUUSD'))).toBeNull();
    expect(codeOf(chain, market('buy', 6, 'XAUUSD'))).toBe('MAX_ORDER_QUANTITY_EXCEEDED');
    expect(chain.limitsFor('ANYTHING')).toBe(chain.limitsFor('XAUUSD'));
  });

  it('knows only the listed symbols when `symbols` is non-empty, each with its own limits', () => {
    const chain = chainWith(
      { defaults: { maxQuantity: 5 }, symbols: { EURUSD: { maxQuantity: 50 }, GBPUSD: {} } },
      [quote('EURUSD', 1.0999, 1.1001), quote('GBPUSD', 1.2999, 1.3001), quote('XAUUSD', 1, 2)],
    );
    expect(codeOf(chain, market('buy', 50))).toBeNull();
    expect(codeOf(chain, market('buy', 6, 'GBPUSD'))).toBe('MAX_ORDER_QUANTITY_EXCEEDED');
    expect(codeOf(chain, market('buy', 1, 'XAUUSD'))).toBe('UNKNOWN_INSTRUMENT');
    expect(chain.limitsFor('XAUUSD')).toBeUndefined();
    expect(Object.isFrozen(chain.limitsFor('EURUSD'))).toBe(true);
  });

  it('reports RESTRICTED_SYMBOL even for a symbol outside `symbols`', () => {
    const chain = chainWith({ symbols: { EURUSD: {} }, restrictedSymbols: ['GBPUSD', 'EURUSD'] });
    expect(codeOf(chain, market('buy', 1))).toBe('RESTRICTED_SYMBOL');
    expect(codeOf(chain, market('buy', 1, 'GBPUSD'))).toBe('RESTRICTED_SYMBOL');
  });
});

function submittedEvent(id: string, side: Side, quantity: number, symbol = 'EURUSD') {
  const order = {
    id,
    symbol,
    side,
    quantity,
    type: 'market' as const,
    price: undefined,
    tag: undefined,
    createdAt: T0,
  };
  return {
    type: 'OrderSubmitted' as const,
    time: T0,
    engineId: 'test',
    order,
    latencyNs: 1,
    revision: 1,
  };
}

function filledEvent(symbol: string, position: number) {
  return {
    type: 'OrderFilled' as const,
    time: T0,
    engineId: 'test',
    fill: { orderId: `o-${symbol}`, symbol, side: 'buy' as const, quantity: 1, price: 1, time: T0 },
    position,
  };
}

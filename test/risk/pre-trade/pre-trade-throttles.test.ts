// Token buckets, open orders and the duplicate window, driven by the `now` each check is given.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { Side, Signal } from '../../../src/core/types.js';
import type { PreTradeLimits } from '../../../src/risk/pre-trade/pre-trade-limits.js';
import { PreTradeRiskEngine } from '../../../src/risk/pre-trade/pre-trade-risk-engine.js';
import { TokenBucket } from '../../../src/risk/pre-trade/token-bucket.js';

const T0 = 1_700_000_000_000;

function market(side: Side, quantity: number, symbol = 'EURUSD'): Signal {
  return { symbol, side, quantity, type: 'market' };
}

function limit(side: Side, quantity: number, price: number, symbol = 'EURUSD'): Signal {
  return { symbol, side, quantity, type: 'limit', price };
}

function chainWith(limits: PreTradeLimits): PreTradeRiskEngine {
  const chain = new PreTradeRiskEngine(limits, { clock: new ManualClock(T0) });
  for (const symbol of ['EURUSD', 'GBPUSD']) {
    chain.observeTick({ symbol, bid: 1.0999, ask: 1.1001, time: T0 });
  }
  return chain;
}

describe('order rate token buckets', () => {
  it('allows a burst, denies the excess, and refills at the rate from the injected time', () => {
    const chain = chainWith({ defaults: { maxOrdersPerSecond: 2 } });
    expect(chain.check(market('buy', 1), 0, T0)).toBeNull();
    expect(chain.check(market('buy', 1), 0, T0)).toBeNull();
    expect(chain.check(market('buy', 1), 0, T0)).toEqual({
      code: 'ORDER_RATE_EXCEEDED',
      details: { scope: 'EURUSD', limit: 2, burst: 2, actual: 0, retryAfterMs: 500 },
    });
    expect(chain.check(market('buy', 1), 0, T0 + 499)?.code).toBe('ORDER_RATE_EXCEEDED');
    expect(chain.check(market('buy', 1), 0, T0 + 500)).toBeNull();
    expect(chain.check(market('buy', 1), 0, T0 + 500)?.code).toBe('ORDER_RATE_EXCEEDED');
  });

  it('refills no further than the burst after a long quiet spell', () => {
    const chain = chainWith({ defaults: { maxOrdersPerSecond: 10, burst: 3 } });
    const later = T0 + 3_600_000;
    const accepted = [1, 2, 3, 4].filter((n) => chain.check(market('buy', n), 0, later) === null);
    expect(accepted).toEqual([1, 2, 3]);
  });

  it('limits the whole engine across symbols with scope "engine"', () => {
    const chain = chainWith({ maxOrdersPerSecond: 3 });
    expect(chain.check(market('buy', 1), 0, T0)).toBeNull();
    expect(chain.check(market('buy', 1, 'GBPUSD'), 0, T0)).toBeNull();
    expect(chain.check(market('sell', 1), 0, T0)).toBeNull();
    expect(chain.check(market('sell', 1, 'GBPUSD'), 0, T0)?.details).toMatchObject({
      scope: 'engine',
      limit: 3,
      burst: 3,
    });
  });

  it('spends a token only when every other check passed', () => {
    const chain = chainWith({ defaults: { maxOrdersPerSecond: 1, maxQuantity: 10 } });
    expect(chain.check(market('buy', 11), 0, T0)?.code).toBe('MAX_ORDER_QUANTITY_EXCEEDED');
    expect(chain.check(market('buy', 10), 0, T0)).toBeNull();
    expect(chain.check(market('buy', 10), 0, T0)?.code).toBe('ORDER_RATE_EXCEEDED');
  });

  it('keeps the symbol token when the engine bucket denies the order', () => {
    const chain = chainWith({
      symbols: { EURUSD: {}, GBPUSD: { maxOrdersPerSecond: 0.001 } },
      maxOrdersPerSecond: 1,
    });
    expect(chain.check(market('buy', 1), 0, T0)).toBeNull();
    expect(chain.check(market('buy', 1, 'GBPUSD'), 0, T0)?.details).toMatchObject({
      scope: 'engine',
    });
    // Had the denied order spent GBPUSD's only token, the next would wait 1000 s for it.
    expect(chain.check(market('buy', 1, 'GBPUSD'), 0, T0 + 1000)).toBeNull();
    expect(chain.check(market('buy', 1, 'GBPUSD'), 0, T0 + 2000)?.details).toMatchObject({
      scope: 'GBPUSD',
    });
  });

  it('grants nothing for a clock that steps back, and does not stall after it', () => {
    const bucket = new TokenBucket(1, 1, T0);
    bucket.take();
    bucket.refill(T0 - 60_000);
    expect(bucket.hasToken()).toBe(false);
    bucket.refill(T0 - 59_000);
    expect(bucket.hasToken()).toBe(true);
  });

  it('counts a fractional refill that lands on a whole token as one', () => {
    // 0.1/s refilled in ten 1 s steps sums to 0.9999999999999999 in doubles.
    const bucket = new TokenBucket(0.1, 1, 0);
    bucket.take();
    for (let step = 1; step <= 10; step++) bucket.refill(step * 1000);
    expect(bucket.available).toBeLessThan(1);
    expect(bucket.hasToken()).toBe(true);
  });
});

describe('duplicate window', () => {
  it('denies the same symbol, side, quantity and price within the window, and lets it through after', () => {
    const chain = chainWith({ duplicateWindowMs: 100 });
    expect(chain.check(limit('buy', 5, 1.1), 0, T0)).toBeNull();
    expect(chain.check(limit('buy', 5, 1.1), 0, T0 + 99.5)).toEqual({
      code: 'DUPLICATE_ORDER',
      details: { limit: 100, actual: 99.5 },
    });
    expect(chain.check(limit('buy', 5, 1.1), 0, T0 + 100)).toBeNull();
  });

  it('treats any difference in side, quantity, price, type or symbol as a new order', () => {
    const chain = chainWith({ duplicateWindowMs: 1000 });
    const orders = [
      limit('buy', 5, 1.1),
      limit('sell', 5, 1.1),
      limit('sell', 6, 1.1),
      limit('sell', 6, 1.10001),
      market('sell', 6),
      market('sell', 6, 'GBPUSD'),
    ];
    for (const order of orders) expect(chain.check(order, 0, T0)).toBeNull();
    expect(chain.check(market('sell', 6, 'GBPUSD'), 0, T0 + 1)?.code).toBe('DUPLICATE_ORDER');
  });

  it('remembers only accepted orders, so a denied twin does not block the real one', () => {
    const chain = chainWith({ duplicateWindowMs: 1000, defaults: { maxOrdersPerSecond: 1 } });
    expect(chain.check(market('buy', 1), 0, T0)).toBeNull();
    expect(chain.check(market('buy', 2), 0, T0 + 10)?.code).toBe('ORDER_RATE_EXCEEDED');
    expect(chain.check(market('buy', 2), 0, T0 + 1000)).toBeNull();
  });

  it('is off by default', () => {
    const chain = chainWith({});
    expect(chain.check(market('buy', 1), 0, T0)).toBeNull();
    expect(chain.check(market('buy', 1), 0, T0)).toBeNull();
  });
});

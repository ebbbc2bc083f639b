// The benchmark strategy orders on every Nth tick, alternates so positions stay bounded, and never allocates.
import { describe, expect, it } from 'vitest';
import { PeriodicOrderStrategy } from '../../src/strategies/periodic-order-strategy.js';
import type { Tick } from '../../src/core/types.js';
import { FakeStrategyContext } from './fake-strategy-context.js';

const tick = (symbol = 'EURUSD'): Tick => ({ symbol, bid: 1, ask: 1.1, time: 0 });

describe('PeriodicOrderStrategy', () => {
  it('orders on every Nth tick and on no other', () => {
    const strategy = new PeriodicOrderStrategy({ every: 3 });
    const context = new FakeStrategyContext();
    const ordered = Array.from(
      { length: 9 },
      () => context.fill(strategy.onTick(tick(), context)).length,
    );
    expect(ordered).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 1]);
  });

  it('orders on 1% of ticks by default', () => {
    const strategy = new PeriodicOrderStrategy();
    const context = new FakeStrategyContext();
    let orders = 0;
    for (let index = 0; index < 10_000; index += 1)
      orders += context.fill(strategy.onTick(tick(), context)).length;
    expect(orders).toBe(100);
  });

  it('alternates buy and sell per symbol, so every position stays between 0 and quantity', () => {
    const strategy = new PeriodicOrderStrategy({ every: 3, quantity: 2 });
    const context = new FakeStrategyContext();
    const sides: string[] = [];
    // Two symbols with an odd period: a global toggle would leave both drifting one way.
    for (let index = 0; index < 60; index += 1) {
      const symbol = index % 2 === 0 ? 'A' : 'B';
      for (const signal of context.fill(strategy.onTick(tick(symbol), context))) {
        sides.push(`${signal.symbol}:${signal.side}`);
        expect(context.position(symbol)).toBeGreaterThanOrEqual(0);
        expect(context.position(symbol)).toBeLessThanOrEqual(2);
      }
    }
    expect(sides.slice(0, 4)).toEqual(['A:buy', 'B:buy', 'A:sell', 'B:sell']);
  });

  it('buys back toward flat when the position is short', () => {
    const strategy = new PeriodicOrderStrategy({ every: 1 });
    const context = new FakeStrategyContext();
    context.positions.set('EURUSD', -5);
    expect(strategy.onTick(tick(), context)).toMatchObject({ side: 'buy' });
  });

  it('returns the same frozen signal objects every time', () => {
    const strategy = new PeriodicOrderStrategy({ every: 1 });
    const context = new FakeStrategyContext();
    const firstBuy = strategy.onTick(tick(), context);
    context.fill(firstBuy);
    const firstSell = strategy.onTick(tick(), context);
    context.fill(firstSell);
    expect(strategy.onTick(tick(), context)).toBe(firstBuy);
    expect(Object.isFrozen(firstBuy)).toBe(true);
    expect(Object.isFrozen(firstSell)).toBe(true);
    expect(firstSell).toMatchObject({
      symbol: 'EURUSD',
      side: 'sell',
      quantity: 1,
      type: 'market',
    });
  });

  it.each([
    ['every', { every: 0 }],
    ['every', { every: 2.5 }],
    ['quantity', { quantity: -1 }],
  ])('rejects a bad "%s" option with ERR_USAGE', (option, options) => {
    expect(() => new PeriodicOrderStrategy(options)).toThrow(
      expect.objectContaining({ code: 'ERR_USAGE', details: { option } }),
    );
  });
});

// The crossover strategy trades only when the fast average crosses the slow one, toward ±quantity.
import { describe, expect, it } from 'vitest';
import { MovingAverageCrossoverStrategy } from '../../src/strategies/moving-average-crossover-strategy.js';
import type { Signal, Tick } from '../../src/core/types.js';
import { FakeStrategyContext, signalsOf } from './fake-strategy-context.js';

/** A tick whose mid price is exactly `mid`. */
const tick = (mid: number, symbol = 'EURUSD'): Tick => ({
  symbol,
  bid: mid - 0.5,
  ask: mid + 0.5,
  time: 0,
});

function run(
  strategy: MovingAverageCrossoverStrategy,
  mids: number[],
  context = new FakeStrategyContext(),
) {
  return mids.map((mid) => context.fill(strategy.onTick(tick(mid), context)));
}

describe('MovingAverageCrossoverStrategy', () => {
  it('buys on a cross up and sells through to short on the cross down', () => {
    const strategy = new MovingAverageCrossoverStrategy({ fast: 2, slow: 4 });
    // Warm-up at 10, first reading below (no trade), cross up at 12, tie at 7, cross down at 6.
    const results = run(strategy, [10, 10, 10, 10, 9, 12, 7, 6]);
    expect(results.slice(0, 5)).toEqual([[], [], [], [], []]);
    expect(results[5]).toEqual([
      { symbol: 'EURUSD', side: 'buy', quantity: 1, type: 'market', tag: 'ma-cross-up' },
    ]);
    expect(results[6]).toEqual([]);
    expect(results[7]).toEqual([
      { symbol: 'EURUSD', side: 'sell', quantity: 2, type: 'market', tag: 'ma-cross-down' },
    ]);
  });

  it('orders only the difference between the target and the current position', () => {
    const strategy = new MovingAverageCrossoverStrategy({ fast: 2, slow: 4, quantity: 3 });
    const context = new FakeStrategyContext();
    run(strategy, [10, 10, 10, 10, 9], context);
    context.positions.set('EURUSD', 1);
    expect(signalsOf(strategy.onTick(tick(12), context))).toEqual([
      expect.objectContaining({ side: 'buy', quantity: 2 }),
    ]);
    context.positions.set('EURUSD', -3);
    expect(strategy.onTick(tick(1), context)).toBeNull();
  });

  it('keeps one window per symbol', () => {
    const strategy = new MovingAverageCrossoverStrategy({ fast: 1, slow: 2 });
    const context = new FakeStrategyContext();
    const feed: [number, string][] = [
      [5, 'A'],
      [1, 'B'],
      [4, 'A'],
      [2, 'B'],
      [6, 'A'],
      [1, 'B'],
    ];
    const signals = feed.flatMap(([mid, symbol]) =>
      signalsOf(strategy.onTick(tick(mid, symbol), context)),
    );
    // A: 5, 4 (first reading: down), 6 (cross up). B: 1, 2 (first reading: up), 1 (cross down).
    expect(signals.map((signal) => `${signal.symbol}:${signal.side}`)).toEqual(['A:buy', 'B:sell']);
  });

  it('matches a naive moving-average computation over a long random walk', () => {
    const fast = 5;
    const slow = 13;
    const strategy = new MovingAverageCrossoverStrategy({ fast, slow });
    const context = new FakeStrategyContext();
    const naiveContext = new FakeStrategyContext();
    let seed = 12345;
    let mid = 100;
    const mids: number[] = [];
    let naiveTrend = 0;
    let crosses = 0;
    for (let index = 0; index < 20_000; index += 1) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      mid += (seed / 2_147_483_648 - 0.5) * 0.1;
      mids.push(mid);
      const actual = signalsOf(strategy.onTick(tick(mid), context));
      context.fill(actual);
      let expected: Signal[] = [];
      if (mids.length >= slow) {
        const average = (count: number) =>
          mids.slice(-count).reduce((sum, value) => sum + value, 0) / count;
        const trend = Math.sign(average(fast) - average(slow));
        if (trend !== 0 && trend !== naiveTrend) {
          if (naiveTrend !== 0) {
            const change = trend - naiveContext.position('EURUSD');
            expected = [
              {
                symbol: 'EURUSD',
                side: change > 0 ? 'buy' : 'sell',
                quantity: Math.abs(change),
                type: 'market',
                tag: trend > 0 ? 'ma-cross-up' : 'ma-cross-down',
              },
            ];
          }
          naiveTrend = trend;
        }
      }
      naiveContext.fill(expected);
      expect(actual).toEqual(expected);
      crosses += expected.length;
    }
    expect(crosses).toBeGreaterThan(100);
    expect(context.position('EURUSD')).toBe(naiveContext.position('EURUSD'));
  });

  it('never trades on flat prices, whatever the rounding', () => {
    const strategy = new MovingAverageCrossoverStrategy({ fast: 3, slow: 7 });
    expect(
      run(
        strategy,
        Array.from({ length: 500 }, () => 1.1 + 0.2),
      ).flat(),
    ).toEqual([]);
  });

  it.each([
    ['fast', { fast: 0 }],
    ['slow', { fast: 10, slow: 10 }],
    ['slow', { slow: 2.5 }],
    ['quantity', { quantity: 0 }],
  ])('rejects a bad "%s" option with ERR_USAGE', (option, options) => {
    expect(() => new MovingAverageCrossoverStrategy(options)).toThrow(
      expect.objectContaining({ code: 'ERR_USAGE', details: { option } }),
    );
  });
});

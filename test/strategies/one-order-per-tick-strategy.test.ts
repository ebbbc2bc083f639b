// The original test strategy: exactly one market order per tick, for the tick's symbol.
import { describe, expect, it } from 'vitest';
import { OneOrderPerTickStrategy } from '../../src/strategies/one-order-per-tick-strategy.js';
import type { Tick } from '../../src/core/types.js';

const tick = (symbol: string): Tick => ({ symbol, bid: 1, ask: 1.1, time: 0 });

describe('OneOrderPerTickStrategy', () => {
  it('buys 1 at market on every tick by default', () => {
    const strategy = new OneOrderPerTickStrategy();
    for (const symbol of ['EURUSD', 'GBPUSD', 'EURUSD']) {
      expect(strategy.onTick(tick(symbol))).toEqual({
        symbol,
        side: 'buy',
        quantity: 1,
        type: 'market',
      });
    }
  });

  it('uses the configured side and quantity', () => {
    const signal = new OneOrderPerTickStrategy({ side: 'sell', quantity: 5 }).onTick(tick('X'));
    expect(signal).toMatchObject({ side: 'sell', quantity: 5 });
  });

  it('hands out one frozen signal per symbol instead of allocating per tick', () => {
    const strategy = new OneOrderPerTickStrategy();
    const first = strategy.onTick(tick('EURUSD'));
    expect(strategy.onTick(tick('EURUSD'))).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it.each([
    ['quantity', { quantity: 0 }],
    ['quantity', { quantity: '1' }],
    ['side', { side: 'hold' }],
  ])('rejects a bad "%s" option with ERR_USAGE', (option, options) => {
    expect(() => new OneOrderPerTickStrategy(options as never)).toThrow(
      expect.objectContaining({ code: 'ERR_USAGE', details: { option } }),
    );
  });
});

// validateTick names what is wrong with a tick, and passes every usable one.
import { describe, expect, it } from 'vitest';
import { validateTick } from '../../src/adapters/feeds/tick-validation.js';
import type { Tick } from '../../src/core/types.js';

const good: Tick = { symbol: 'EURUSD', bid: 1.1, ask: 1.1002, time: 1_709_542_800_000 };

describe('validateTick', () => {
  it('accepts a well-formed tick, with or without sizes, and a locked quote', () => {
    expect(validateTick(good)).toBeNull();
    expect(validateTick({ ...good, bidSize: 0, askSize: 1_000_000 })).toBeNull();
    expect(validateTick({ ...good, ask: good.bid })).toBeNull();
    expect(validateTick(good, new Set(['EURUSD']))).toBeNull();
  });

  it.each([
    ['an empty symbol', { symbol: '' }, /symbol is empty/],
    ['a NaN bid', { bid: Number.NaN }, /bid is not a finite number/],
    ['an infinite ask', { ask: Number.POSITIVE_INFINITY }, /ask is not a finite number/],
    ['a zero bid', { bid: 0 }, /bid must be positive/],
    ['a negative ask', { bid: -2, ask: -1 }, /bid must be positive/],
    ['a crossed quote', { bid: 1.2, ask: 1.1 }, /crossed quote: bid 1.2 is above ask 1.1/],
    ['a NaN time', { time: Number.NaN }, /time is not a valid/],
    ['a negative time', { time: -1 }, /time is not a valid/],
    ['a negative size', { bidSize: -5 }, /bidSize must be a non-negative/],
    ['a non-numeric price', { bid: '1.1' as unknown as number }, /bid is not a finite number/],
  ])('reports %s', (_label, change, expected) => {
    expect(validateTick({ ...good, ...change })).toMatch(expected);
  });

  it('reports a symbol outside the known set', () => {
    expect(validateTick(good, new Set(['GBPUSD']))).toBe('unknown symbol "EURUSD"');
  });
});

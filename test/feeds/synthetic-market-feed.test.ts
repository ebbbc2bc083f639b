// The synthetic feed is deterministic per seed, shapes its quotes like FX, and paces without drift.
import { describe, expect, it } from 'vitest';
import {
  SyntheticMarketFeed,
  syntheticTicks,
  type SyntheticMarketFeedOptions,
} from '../../src/adapters/feeds/synthetic-market-feed.js';
import { validateTick } from '../../src/adapters/feeds/tick-validation.js';
import { ManualClock } from '../../src/core/clock.js';
import type { TickOrBatch } from '../../src/core/ports.js';
import type { Tick } from '../../src/core/types.js';
import { collectTicks, ticksOf } from '../contracts/market-feed.contract.js';

async function ticksFrom(options: SyntheticMarketFeedOptions): Promise<Tick[]> {
  return collectTicks(new SyntheticMarketFeed(options));
}

async function yieldsFrom(feed: SyntheticMarketFeed): Promise<TickOrBatch[]> {
  const items: TickOrBatch[] = [];
  for await (const item of feed.ticks()) items.push(item);
  return items;
}

describe('SyntheticMarketFeed', () => {
  it('produces the same ticks for the same seed, and different ones for another seed', async () => {
    const options = { count: 1_000, symbols: ['EURUSD', 'GBPUSD'], startTime: 1_000 };
    const first = await ticksFrom({ ...options, seed: 7 });
    expect(await ticksFrom({ ...options, seed: 7 })).toEqual(first);
    const other = await ticksFrom({ ...options, seed: 8 });
    expect(other.map((tick) => tick.bid)).not.toEqual(first.map((tick) => tick.bid));
  });

  it('gives the same ticks whatever the batch size', async () => {
    const options = { count: 700, startTime: 0 };
    const batched = await ticksFrom({ ...options, batchSize: 256 });
    expect(await ticksFrom({ ...options, batchSize: 1 })).toEqual(batched);
    expect(await ticksFrom({ ...options, batchSize: 3 })).toEqual(batched);
  });

  it('serves symbols round-robin with five-decimal prices and ask above bid', async () => {
    const ticks = await ticksFrom({ count: 3_000, symbols: ['A', 'B', 'C'], volatility: 0.001 });
    expect(ticks.slice(0, 6).map((tick) => tick.symbol)).toEqual(['A', 'B', 'C', 'A', 'B', 'C']);
    for (const tick of ticks) {
      expect(validateTick(tick)).toBeNull();
      expect(tick.ask).toBeGreaterThan(tick.bid);
      expect(Math.round(tick.bid * 100_000) / 100_000).toBe(tick.bid);
      expect(Math.round(tick.ask * 100_000) / 100_000).toBe(tick.ask);
    }
  });

  it('starts the default symbols near their real levels, USDJPY near 150 with a yen-sized spread', async () => {
    const feed = new SyntheticMarketFeed({ count: 3, symbols: ['EURUSD', 'GBPUSD', 'USDJPY'] });
    const ticks = await collectTicks(feed);
    const mid = (tick: Tick | undefined) => ((tick?.bid ?? 0) + (tick?.ask ?? 0)) / 2;
    expect(mid(ticks[0])).toBeCloseTo(1.08, 2);
    expect(mid(ticks[1])).toBeCloseTo(1.27, 2);
    expect(mid(ticks[2])).toBeCloseTo(150, 0);
    expect((ticks[2]?.ask ?? 0) - (ticks[2]?.bid ?? 0)).toBeCloseTo(0.02, 5);
  });

  it('starts at startPrice with the configured spread and walks each symbol on its own', async () => {
    const ticks = await ticksFrom({
      count: 2,
      symbols: ['A', 'B'],
      startPrice: 2,
      spread: 0.001,
      volatility: 0,
    });
    expect(ticks.map((tick) => [tick.bid, tick.ask])).toEqual([
      [1.9995, 2.0005],
      [1.9995, 2.0005],
    ]);
  });

  it('keeps bids positive on a long steep walk down from a tiny price', async () => {
    const ticks = await ticksFrom({
      count: 20_000,
      startPrice: 0.001,
      spread: 0.0002,
      volatility: 0.5,
    });
    for (const tick of ticks) expect(validateTick(tick)).toBeNull();
  });

  it('stamps times from startTime, or from the clock when iteration starts', async () => {
    const fixed = await ticksFrom({ count: 3, startTime: 5_000 });
    expect(fixed.map((tick) => tick.time)).toEqual([5_000, 5_001, 5_002]);
    const clock = new ManualClock(9_000);
    const clocked = await ticksFrom({ count: 2, clock });
    expect(clocked.map((tick) => tick.time)).toEqual([9_000, 9_001]);
  });

  it('yields batches of 256 when unpaced, and bare ticks with batchSize 1', async () => {
    const batched = await yieldsFrom(new SyntheticMarketFeed({ count: 600 }));
    expect(batched.map((item) => ticksOf(item).length)).toEqual([256, 256, 88]);
    const single = await yieldsFrom(new SyntheticMarketFeed({ count: 3, batchSize: 1 }));
    expect(single.every((item) => !Array.isArray(item))).toBe(true);
  });

  it('paces at the requested rate without drifting (2,000 ticks/s for 500 ticks)', async () => {
    const started = performance.now();
    const ticks = await ticksFrom({ count: 500, rate: 2_000 });
    const elapsed = performance.now() - started;
    expect(ticks.length).toBe(500);
    // Tick k is due k/rate after the first; the last is due at 249.5 ms and can never come early.
    expect(elapsed).toBeGreaterThanOrEqual(245);
    expect(elapsed).toBeLessThan(249.5 + 1000); // generous: CI machines are noisy; the lower bound is the pacing guarantee
  });

  it('keeps up with 100,000 ticks/s by yielding what is due per wake-up', async () => {
    const feed = new SyntheticMarketFeed({ count: 30_000, rate: 100_000 });
    const started = performance.now();
    const items = await yieldsFrom(feed);
    const elapsed = performance.now() - started;
    expect(items.reduce((total, item) => total + ticksOf(item).length, 0)).toBe(30_000);
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(300 + 1000); // generous: CI machines are noisy; the lower bound is the pacing guarantee
    // Timers wake about once a millisecond, so each wake-up carries many ticks.
    expect(items.length).toBeLessThan(3_000);
  });

  it('spaces paced tick times at 1/rate from the start', async () => {
    const ticks = await ticksFrom({ count: 3, rate: 1_000, startTime: 0 });
    expect(ticks.map((tick) => tick.time)).toEqual([0, 1, 2]);
  });

  it('ends a paced iteration at once when closed during a long wait', async () => {
    const feed = new SyntheticMarketFeed({ rate: 0.5 });
    const iterator = feed.ticks()[Symbol.asyncIterator]();
    await iterator.next();
    const pending = iterator.next();
    const started = performance.now();
    setTimeout(() => void feed.close(), 20);
    expect((await pending).done).toBe(true);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('lets timers run while it yields flat out, so a watcher can still stop it', async () => {
    const feed = new SyntheticMarketFeed();
    setTimeout(() => void feed.close(), 20);
    let seen = 0;
    for await (const item of feed.ticks()) {
      seen += ticksOf(item).length;
      // A starved timer would never fire; fail instead of hanging.
      if (seen > 500_000_000) break;
    }
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(500_000_000);
  });

  it('runs endlessly when count is 0 or Infinity', async () => {
    for (const count of [0, Infinity]) {
      const feed = new SyntheticMarketFeed({ count, batchSize: 1_000 });
      let seen = 0;
      for await (const item of feed.ticks()) {
        seen += ticksOf(item).length;
        if (seen >= 10_000) break;
      }
      expect(seen).toBe(10_000);
    }
  });

  it.each([
    ['count', { count: -1 }],
    ['count', { count: 1.5 }],
    ['symbols', { symbols: [] }],
    ['symbols', { symbols: ['EURUSD', ''] }],
    ['symbols', { symbols: ['EURUSD', 'EURUSD'] }],
    ['seed', { seed: 1.5 }],
    ['rate', { rate: -1 }],
    ['rate', { rate: Number.NaN }],
    ['batchSize', { batchSize: 0 }],
    ['startPrice', { startPrice: 0 }],
    ['spread', { spread: 0 }],
    ['spread', { spread: 2 }],
    ['volatility', { volatility: -0.1 }],
    ['volatility', { volatility: 1 }],
    ['startTime', { startTime: Number.POSITIVE_INFINITY }],
    ['colour', { colour: 'red' }],
  ])('rejects a bad "%s" option with ERR_USAGE naming it', (option, options) => {
    expect(() => new SyntheticMarketFeed(options as SyntheticMarketFeedOptions)).toThrow(
      expect.objectContaining({
        code: 'ERR_USAGE',
        message: expect.stringContaining(`"${option}"`) as unknown,
        details: { option },
      }),
    );
  });
});

describe('syntheticTicks', () => {
  it('yields 100 single ticks by default, like mock_tick_generator(count=100)', async () => {
    const ticks: Tick[] = [];
    for await (const tick of syntheticTicks()) {
      expect(Array.isArray(tick)).toBe(false);
      ticks.push(tick);
    }
    expect(ticks.length).toBe(100);
    expect(ticks[0]!.symbol).toBe('EURUSD');
  });

  it('takes the feed options', async () => {
    const ticks: Tick[] = [];
    for await (const tick of syntheticTicks({ count: 4, symbols: ['X', 'Y'], seed: 1 }))
      ticks.push(tick);
    expect(ticks.map((tick) => tick.symbol)).toEqual(['X', 'Y', 'X', 'Y']);
  });
});

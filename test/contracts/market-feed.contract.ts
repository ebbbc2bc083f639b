// The MarketFeed contract: every feed adapter (synthetic, CSV, later WebSocket) runs this suite.
import { describe, expect, it } from 'vitest';
import { validateTick } from '../../src/adapters/feeds/tick-validation.js';
import type { MarketFeed, TickOrBatch } from '../../src/core/ports.js';
import type { Tick } from '../../src/core/types.js';

/** Builds a feed that will deliver exactly `count` ticks if read to the end. */
export type MakeFeed = (count: number) => MarketFeed | Promise<MarketFeed>;

export function ticksOf(item: TickOrBatch): readonly Tick[] {
  return Array.isArray(item) ? (item as readonly Tick[]) : [item as Tick];
}

export async function collectTicks(feed: MarketFeed): Promise<Tick[]> {
  const ticks: Tick[] = [];
  for await (const item of feed.ticks()) ticks.push(...ticksOf(item));
  return ticks;
}

export function runMarketFeedContract(name: string, makeFeed: MakeFeed): void {
  describe(`MarketFeed contract: ${name}`, () => {
    it('has a readable name', async () => {
      const feed = await makeFeed(1);
      expect(feed.name).toMatch(/\S/);
      await feed.close();
    });

    it('yields only valid ticks, with times that never go backwards', async () => {
      const feed = await makeFeed(500);
      const ticks = await collectTicks(feed);
      expect(ticks.length).toBe(500);
      for (const tick of ticks) expect(validateTick(tick)).toBeNull();
      for (let index = 1; index < ticks.length; index += 1) {
        expect(ticks[index]!.time).toBeGreaterThanOrEqual(ticks[index - 1]!.time);
      }
      await feed.close();
    });

    it.each([1, 2, 257, 1_000])(
      'yields exactly %i ticks when asked for that many, then ends',
      async (count) => {
        const feed = await makeFeed(count);
        expect((await collectTicks(feed)).length).toBe(count);
        await feed.close();
      },
    );

    it('stops yielding once close() resolves mid-iteration', async () => {
      const count = 50_000;
      const feed = await makeFeed(count);
      let seen = 0;
      let seenAfterClose = 0;
      let closed = false;
      for await (const item of feed.ticks()) {
        if (closed) seenAfterClose += ticksOf(item).length;
        seen += ticksOf(item).length;
        if (!closed && seen >= 10) {
          await feed.close();
          closed = true;
        }
      }
      expect(closed).toBe(true);
      expect(seenAfterClose).toBe(0);
      expect(seen).toBeLessThan(count);
    });

    it('settles a pending next() when close() is called', async () => {
      const feed = await makeFeed(50_000);
      const iterator = feed.ticks()[Symbol.asyncIterator]();
      await iterator.next();
      const pending = iterator.next();
      await feed.close();
      await pending;
      expect((await iterator.next()).done).toBe(true);
    });

    it('yields nothing when closed before iteration starts', async () => {
      const feed = await makeFeed(100);
      await feed.close();
      expect(await collectTicks(feed)).toEqual([]);
    });

    it('can be read to completion and then closed, twice over', async () => {
      const feed = await makeFeed(20);
      expect((await collectTicks(feed)).length).toBe(20);
      await feed.close();
      await feed.close();
    });
  });
}

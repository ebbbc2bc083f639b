import { describe, expect, it } from 'vitest';
import type {
  CancelScope,
  VenueCanceller,
  VenueOpenOrder,
  VenueTrade,
} from '../../src/core/ports.js';
import { finalVenueError } from '../../src/core/errors.js';
import { confirmVenueFlat } from '../../src/killswitch/venue-confirmation.js';

/** A venue book in memory: cancel-all clears what is in scope unless told to keep some. */
class FakeCanceller implements VenueCanceller {
  readonly name = 'fake';
  cancelCalls: CancelScope[] = [];
  /** Orders the venue refuses to cancel (stuck). */
  stuck = new Set<string>();
  /** Orders that appear after the first cancel-all (placed by a hung engine). */
  lateOrders: VenueOpenOrder[] = [];
  trades: VenueTrade[] = [];
  unreachable = false;
  /** Rejects every cancel-all as the venue ending the session: another round cannot help. */
  endedByVenue: string | undefined;

  constructor(public book: VenueOpenOrder[]) {}

  cancelAll(scope: CancelScope): Promise<number> {
    if (this.unreachable) return Promise.reject(new Error('connection refused'));
    if (this.endedByVenue !== undefined) return Promise.reject(finalVenueError(this.endedByVenue));
    this.cancelCalls.push(scope);
    const before = this.book.length;
    this.book = this.book.filter(
      (order) => this.stuck.has(order.venueOrderId) || (scope === 'own' && !order.own),
    );
    const cancelled = before - this.book.length;
    this.book.push(...this.lateOrders.splice(0));
    return Promise.resolve(cancelled);
  }

  openOrders(): Promise<VenueOpenOrder[]> {
    return Promise.resolve([...this.book]);
  }

  tradesSince(time: number): Promise<VenueTrade[] | undefined> {
    return Promise.resolve(this.trades.filter((trade) => trade.time >= time));
  }

  positions() {
    return Promise.resolve([{ symbol: 'BTC', quantity: 0.5 }]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const order = (id: string, own = true): VenueOpenOrder => ({
  venueOrderId: id,
  ...(own ? { clientOrderId: `c-${id}` } : {}),
  symbol: 'BTC/USD',
  side: 'buy',
  quantity: 1,
  own,
});

const options = (overrides: Partial<Parameters<typeof confirmVenueFlat>[1]> = {}) => ({
  scope: 'account' as const,
  killWrittenAt: 1_000,
  startedAt: performance.now(),
  timeoutMs: 1_000,
  pollIntervalMs: 5,
  ...overrides,
});

describe('confirmVenueFlat', () => {
  it('confirms after one round when the cancel-all leaves nothing open', async () => {
    const venue = new FakeCanceller([order('a'), order('b', false)]);
    const receipt = await confirmVenueFlat(venue, options());
    expect(receipt).toMatchObject({ confirmed: true, cancelled: 2, stillOpen: [], rounds: 1 });
    expect(receipt.positions).toEqual([{ symbol: 'BTC', quantity: 0.5 }]);
  });

  it('sends cancel-all again while orders keep appearing, until none remain', async () => {
    const venue = new FakeCanceller([order('a')]);
    venue.lateOrders = [order('late')];
    const receipt = await confirmVenueFlat(venue, options());
    expect(receipt).toMatchObject({ confirmed: true, cancelled: 2, rounds: 2 });
    expect(venue.cancelCalls).toEqual(['account', 'account']);
  });

  it('names the orders still open when the time runs out, and does not confirm', async () => {
    const venue = new FakeCanceller([order('a'), order('stuck')]);
    venue.stuck.add('stuck');
    const receipt = await confirmVenueFlat(venue, options({ timeoutMs: 50 }));
    expect(receipt.confirmed).toBe(false);
    expect(receipt.stillOpen.map((open) => open.venueOrderId)).toEqual(['stuck']);
    expect(receipt.rounds).toBeGreaterThan(1);
  });

  it('with scope own, confirms with foreign orders left open and counts them', async () => {
    const venue = new FakeCanceller([order('a'), order('foreign', false)]);
    const receipt = await confirmVenueFlat(venue, options({ scope: 'own' }));
    expect(receipt).toMatchObject({ confirmed: true, cancelled: 1, leftOpen: 1, scope: 'own' });
  });

  it('lists the fills since the kill was written as racing the cancel', async () => {
    const venue = new FakeCanceller([order('a')]);
    const trade = (tradeId: string, time: number): VenueTrade => ({
      tradeId,
      symbol: 'BTC/USD',
      side: 'buy',
      quantity: 1,
      price: 10,
      time,
    });
    venue.trades = [trade('before', 999), trade('raced', 1_001)];
    const receipt = await confirmVenueFlat(venue, options());
    expect(receipt.racedFills?.map((fill) => fill.tradeId)).toEqual(['raced']);
  });

  it('reports an unreachable venue as unconfirmed with the problem, after the timeout', async () => {
    const venue = new FakeCanceller([order('a')]);
    venue.unreachable = true;
    const receipt = await confirmVenueFlat(venue, options({ timeoutMs: 30 }));
    expect(receipt).toMatchObject({ confirmed: false, problem: 'connection refused' });
    expect(receipt.afterMs).toBeGreaterThanOrEqual(30);
    // Never read back: what was listed open before the cancel is named, none counted cancelled.
    expect(receipt.stillOpen.map((open) => open.venueOrderId)).toEqual(['a']);
    expect(receipt.cancelled).toBe(0);
  });

  it('stops at once when the venue ends the session itself, naming what was open', async () => {
    const venue = new FakeCanceller([order('a'), order('b')]);
    venue.endedByVenue = 'the venue logged the session out: "not permitted"';
    const receipt = await confirmVenueFlat(venue, options({ timeoutMs: 60_000 }));
    expect(receipt).toMatchObject({ confirmed: false, rounds: 1, cancelled: 0 });
    expect(receipt.problem).toMatch(/the venue logged the session out: "not permitted"/);
    expect(receipt.stillOpen.map((open) => open.venueOrderId)).toEqual(['a', 'b']);
    expect(receipt.afterMs).toBeLessThan(60_000);
  });
});

// After a kill, ccxt's rate-limit queue sends nothing: every createOrder asks gate 3 when its request
// is about to leave, not when it was queued, and the engage's cancel-all does not wait behind them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CcxtBroker } from '../../src/adapters/ccxt/ccxt-broker.js';
import type { CcxtVenue } from '../../src/adapters/ccxt/ccxt-venue.js';
import type { Order } from '../../src/core/types.js';
import { order, recordingListener } from '../contracts/broker.contract.js';
import { FakeVenueServer } from '../support/fake-venue-server.js';
import { testVenue, waitFor } from './ccxt-test-venue.js';

/** ccxt's own throttle: one unit of request cost per RATE_LIMIT_MS. */
const RATE_LIMIT_MS = 100;
const ORDERS = 30;

describe('CcxtBroker behind a rate-limited venue', () => {
  let server: FakeVenueServer;
  let broker: CcxtBroker | undefined;
  beforeEach(async () => {
    server = await FakeVenueServer.start();
  });
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
    await server.close();
  });

  const resting = (): Order =>
    order({ symbol: 'BTC/USD', quantity: 0.01, type: 'limit', price: 40_000 });

  /** Requests that spend the venue's rate budget (as fill polls do): whatever comes next queues. */
  function spendRateBudget(venue: CcxtVenue, polls: number): Promise<unknown> {
    return Promise.all(
      Array.from({ length: polls }, () => venue.exchange.fetchOpenOrders('BTC/USD')),
    );
  }

  it('sends no order still queued for the rate limit once the kill switch is engaged, and cancels all at once', async () => {
    const venue = testVenue(server, { rateLimit: RATE_LIMIT_MS });
    broker = new CcxtBroker({ venue, fillPollIntervalMs: 60_000, maxAttempts: 1 });
    let engaged = false;
    const listener = { ...recordingListener(), mayDepart: () => !engaged };
    await broker.connect(listener);
    await broker.submit(resting());
    expect(server.openOrders()).toHaveLength(1);

    // Kraken's AddOrder costs no rate budget of its own, but it waits behind what does.
    const polls = spendRateBudget(venue, 4);
    const submissions = Array.from({ length: ORDERS }, () => broker!.submit(resting()));
    await new Promise((resolve) => setTimeout(resolve, RATE_LIMIT_MS));
    expect(server.callsTo('AddOrder')).toBe(1); // the burst is still queued
    engaged = true;
    const cancelStarted = performance.now();
    expect(await broker.cancelAll()).toBe(1);
    const cancelMs = performance.now() - cancelStarted;
    await Promise.all([polls, ...submissions]);
    await waitFor(() => listener.rejects.length === ORDERS, 'every queued order rejected');

    // The code before this sent the whole burst after the kill, then cancelled them behind it.
    expect(server.callsTo('AddOrder')).toBe(1);
    expect(server.openOrders()).toEqual([]);
    for (const reject of listener.rejects) expect(reject.reason).toContain('the kill switch');
    // The cancel-all does not wait behind the polls' rate budget (4 × 3 units × 100 ms).
    expect(cancelMs).toBeLessThan(3 * RATE_LIMIT_MS);
  }, 20_000);

  it('still sends every queued order while the switch stays open', async () => {
    const venue = testVenue(server, { rateLimit: RATE_LIMIT_MS });
    broker = new CcxtBroker({ venue, fillPollIntervalMs: 60_000, maxAttempts: 1 });
    const listener = { ...recordingListener(), mayDepart: () => true };
    await broker.connect(listener);
    const polls = spendRateBudget(venue, 2);
    await Promise.all([polls, ...Array.from({ length: 10 }, () => broker!.submit(resting()))]);
    expect(listener.rejects).toEqual([]);
    expect(server.openOrders()).toHaveLength(10);
  }, 20_000);
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CcxtFeed } from '../../src/adapters/ccxt/ccxt-feed.js';
import { isLivegateError } from '../../src/core/errors.js';
import type { VenueReport } from '../../src/core/ports.js';
import { collectTicks, runMarketFeedContract } from '../contracts/market-feed.contract.js';
import { FakeVenueServer } from '../support/fake-venue-server.js';
import { testVenue, waitFor } from './ccxt-test-venue.js';

describe('CcxtFeed', () => {
  let server: FakeVenueServer;
  beforeEach(async () => {
    server = await FakeVenueServer.start();
  });
  afterEach(async () => {
    await server.close();
  });

  function feed(options: { symbols?: string[]; maxTicks?: number } = {}): {
    feed: CcxtFeed;
    reports: VenueReport[];
  } {
    const reports: VenueReport[] = [];
    const made = new CcxtFeed({
      venue: testVenue(server, { symbols: options.symbols ?? ['BTC/USD'], credentials: false }),
      pollIntervalMs: 5,
      retryInitialDelayMs: 5,
      retryMaxDelayMs: 20,
      staleAfterMs: 50,
      ...(options.maxTicks === undefined ? {} : { maxTicks: options.maxTicks }),
    });
    made.attach({ onVenueReport: (report) => reports.push(report) });
    return { feed: made, reports };
  }

  it("yields the venue's bid and ask for every symbol, batched per poll", async () => {
    const { feed: ccxtFeed, reports } = feed({ symbols: ['BTC/USD', 'ETH/USD'], maxTicks: 4 });
    const ticks = await collectTicks(ccxtFeed);
    expect(ticks.map((tick) => tick.symbol)).toEqual(['BTC/USD', 'ETH/USD', 'BTC/USD', 'ETH/USD']);
    expect(ticks[0]).toMatchObject({ bid: 50_000, ask: 50_000.2, bidSize: 2, askSize: 1 });
    expect(ticks[2]!.bid).toBeCloseTo(50_000.1, 6);
    expect(server.callsTo('Ticker')).toBe(2);
    expect(reports.map((report) => report.kind)).toEqual(['connected']);
  });

  it('retries network failures and rate limits without throwing, reporting disconnected, stale, then connected', async () => {
    server.failNext('Ticker', { kind: 'drop-before' }, 3);
    server.failNext('Ticker', { kind: 'http-429' }, 2);
    const { feed: ccxtFeed, reports } = feed({ maxTicks: 2 });
    const ticks = await collectTicks(ccxtFeed);
    expect(ticks).toHaveLength(2);
    expect(server.callsTo('Ticker')).toBe(7);
    const kinds = reports.map((report) => report.kind);
    expect(kinds[0]).toBe('disconnected');
    expect(kinds).toContain('stale');
    expect(kinds.at(-1)).toBe('connected');
  });

  it('ends ticks() with ERR_FEED_FAILED on a permanent venue error (authentication)', async () => {
    server.failNext('Ticker', { kind: 'kraken-error', message: 'EAPI:Invalid key' });
    const { feed: ccxtFeed } = feed();
    const failure = await collectTicks(ccxtFeed).catch((error: unknown) => error);
    expect(isLivegateError(failure, 'ERR_FEED_FAILED')).toBe(true);
  });

  it('ends ticks() with ERR_FEED_FAILED for a symbol the venue does not list', async () => {
    const { feed: ccxtFeed } = feed({ symbols: ['BTC/USD', 'NOPE/USD'] });
    const failure = await collectTicks(ccxtFeed).catch((error: unknown) => error);
    expect(isLivegateError(failure, 'ERR_FEED_FAILED')).toBe(true);
    expect((failure as Error).message).toContain('NOPE/USD');
  });

  it('settles a poll in flight as soon as close() is called', async () => {
    server.failNext('Ticker', { kind: 'delay-after', delayMs: 1_500 });
    const { feed: ccxtFeed } = feed();
    const iterator = ccxtFeed.ticks()[Symbol.asyncIterator]();
    const pending = iterator.next();
    await waitFor(() => server.callsTo('Ticker') === 1, 'the first poll');
    const started = performance.now();
    await ccxtFeed.close();
    expect((await pending).done).toBe(true);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('CcxtFeed against the fake venue', () => {
  let server: FakeVenueServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  runMarketFeedContract('CcxtFeed (fake Kraken)', async (count) => {
    server ??= await FakeVenueServer.start();
    return new CcxtFeed({
      venue: testVenue(server, { symbols: ['BTC/USD', 'ETH/USD'], credentials: false }),
      pollIntervalMs: 0,
      maxTicks: count,
    });
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CcxtStreamFeed,
  type CcxtStreamFeedOptions,
} from '../../src/adapters/ccxt/ccxt-stream-feed.js';
import type { CcxtVenueOptions } from '../../src/adapters/ccxt/ccxt-venue.js';
import { ManualClock } from '../../src/core/clock.js';
import { isLivegateError } from '../../src/core/errors.js';
import type { VenueReport } from '../../src/core/ports.js';
import type { Tick } from '../../src/core/types.js';
import { runMarketFeedContract, ticksOf } from '../contracts/market-feed.contract.js';
import { FakeVenueServer } from '../support/fake-venue-server.js';
import { FakeVenueWebSocket } from '../support/fake-venue-websocket.js';
import { waitFor } from './ccxt-test-venue.js';

const BOTH = ['BTC/USD', 'ETH/USD'];

function venueOptions(rest: FakeVenueServer, symbols: string[] = BOTH): CcxtVenueOptions {
  return {
    venue: 'kraken',
    sandbox: false,
    symbols,
    urls: { public: rest.url, private: rest.url },
    timeoutMs: 2_000,
    rateLimit: 1,
  };
}

/** A feed read in the background: ticks as they arrive, and how the reading ended. */
interface Reading {
  readonly feed: CcxtStreamFeed;
  readonly ticks: Tick[];
  readonly reports: VenueReport[];
  /** Resolves when ticks() ends: undefined, or what it threw. */
  readonly done: Promise<unknown>;
}

function kindsOf(reports: readonly VenueReport[]): string[] {
  return reports.map((report) => report.kind);
}

describe('CcxtStreamFeed', () => {
  let rest: FakeVenueServer;
  let socket: FakeVenueWebSocket;
  const feeds: CcxtStreamFeed[] = [];

  beforeEach(async () => {
    rest = await FakeVenueServer.start();
    // Frequent heartbeats: they must neither count as quotes nor disturb the stream.
    socket = await FakeVenueWebSocket.start({ heartbeatIntervalMs: 20 });
  });
  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((feed) => feed.close()));
    await socket.close();
    await rest.close();
  });

  function read(options: Partial<CcxtStreamFeedOptions> = {}, symbols = BOTH): Reading {
    const reports: VenueReport[] = [];
    const feed = new CcxtStreamFeed({
      venue: venueOptions(rest, symbols),
      wsUrls: { publicV2: socket.url },
      retryInitialDelayMs: 5,
      retryMaxDelayMs: 20,
      ...options,
    });
    feeds.push(feed);
    feed.attach({ onVenueReport: (report) => reports.push(report) });
    const ticks: Tick[] = [];
    const done = (async () => {
      for await (const item of feed.ticks()) ticks.push(...ticksOf(item));
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    return { feed, ticks, reports, done };
  }

  /** The snapshot each subscription starts with has arrived for every symbol. */
  async function snapshotsArrived(reading: Reading, symbols = BOTH): Promise<void> {
    await waitFor(
      () => symbols.every((symbol) => reading.ticks.some((tick) => tick.symbol === symbol)),
      `a snapshot tick for each of ${symbols.join(', ')}`,
    );
  }

  it('subscribes to the ticker channel and yields every update in order with its bid and ask', async () => {
    const reading = read();
    await snapshotsArrived(reading);
    const subscriptions = socket.received.filter((message) => message.method === 'subscribe');
    expect(subscriptions.map((message) => message.params)).toEqual(
      expect.arrayContaining(BOTH.map((symbol) => ({ channel: 'ticker', symbol: [symbol] }))),
    );
    expect(subscriptions).toHaveLength(2);
    expect(reading.ticks.find((tick) => tick.symbol === 'BTC/USD')).toMatchObject({
      bid: 49_999.9,
      ask: 50_000.1,
      bidSize: 2,
      askSize: 1,
    });
    for (let step = 1; step <= 5; step += 1) {
      socket.sendTicker('BTC/USD', { bid: 50_000 + step, ask: 50_000.5 + step });
      socket.sendTicker('ETH/USD', { bid: 2_500 + step, ask: 2_500.5 + step });
      await waitFor(() => reading.ticks.length === 2 + 2 * step, `update ${step} of both symbols`);
    }
    const quotes = (symbol: string) =>
      reading.ticks.filter((tick) => tick.symbol === symbol).map(({ bid, ask }) => [bid, ask]);
    expect(quotes('BTC/USD')).toEqual([
      [49_999.9, 50_000.1],
      ...[1, 2, 3, 4, 5].map((step) => [50_000 + step, 50_000.5 + step]),
    ]);
    expect(quotes('ETH/USD')).toEqual([
      [2_499.9, 2_500.1],
      ...[1, 2, 3, 4, 5].map((step) => [2_500 + step, 2_500.5 + step]),
    ]);
    for (let index = 1; index < reading.ticks.length; index += 1) {
      expect(reading.ticks[index]!.time).toBeGreaterThanOrEqual(reading.ticks[index - 1]!.time);
    }
    expect(kindsOf(reading.reports)).toEqual(['connected']);
  });

  it('delivers the newest quote of a burst that ccxt coalesces, never an older one after it', async () => {
    const reading = read({}, ['BTC/USD']);
    await snapshotsArrived(reading, ['BTC/USD']);
    for (let step = 1; step <= 50; step += 1) {
      socket.sendTicker('BTC/USD', { bid: 60_000 + step, ask: 60_001 + step });
    }
    await waitFor(() => reading.ticks.at(-1)?.bid === 60_050, 'the last quote of the burst');
    const bids = reading.ticks.slice(1).map((tick) => tick.bid);
    expect(bids.every((bid, index) => index === 0 || bid > bids[index - 1]!)).toBe(true);
  });

  it('skips one-sided updates, reports a crossed quote, and keeps streaming through malformed messages', async () => {
    const reading = read({}, ['BTC/USD']);
    await snapshotsArrived(reading, ['BTC/USD']);
    socket.sendRaw('not json{');
    socket.sendRaw('{"channel":"ticker","type":"update","data":"oops"}');
    socket.sendRaw('{"channel":"ticker","type":"update","data":[null]}');
    socket.sendRaw(
      '{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":"abc"}]}',
    );
    socket.sendRaw('{"channel":"nonsense","data":[{"symbol":"BTC/USD","bid":1,"ask":2}]}');
    socket.sendTicker('BTC/USD', { bid: 50_100, ask: undefined });
    socket.sendTicker('BTC/USD', { bid: 50_101, ask: 50_100 });
    await waitFor(
      () => reading.reports.some((report) => report.kind === 'malformed-message'),
      'the crossed quote reported',
    );
    socket.sendTicker('BTC/USD', { bid: 50_102, ask: 50_103 });
    await waitFor(() => reading.ticks.length === 2, 'the next good quote');
    expect(reading.ticks[1]).toMatchObject({ symbol: 'BTC/USD', bid: 50_102, ask: 50_103 });
    const malformed = reading.reports.find((report) => report.kind === 'malformed-message');
    expect(malformed).toMatchObject({ source: 'feed', venue: 'kraken', symbol: 'BTC/USD' });
    expect(malformed?.detail).toContain('crossed');
    expect(kindsOf(reading.reports)).not.toContain('disconnected');
    expect(socket.connectionsAccepted).toBe(1);
  });

  it('reports disconnected when the venue drops the socket, then re-subscribes and reports connected once updates resume', async () => {
    const reading = read();
    await snapshotsArrived(reading);
    const before = reading.ticks.length;
    socket.dropConnections();
    await waitFor(() => kindsOf(reading.reports).includes('disconnected'), 'disconnected');
    await waitFor(
      () => socket.connectionsAccepted === 2 && socket.subscribedSymbols().length === 2,
      'a new connection subscribed to both symbols',
    );
    socket.sendTicker('BTC/USD', { bid: 51_000, ask: 51_001 });
    await waitFor(
      () => reading.ticks.slice(before).some((tick) => tick.bid === 51_000),
      'an update after the reconnection',
    );
    expect(kindsOf(reading.reports)).toEqual(['connected', 'disconnected', 'connected']);
    expect(reading.reports[1]!.detail).toContain('NetworkError');
    expect(socket.received.filter((message) => message.method === 'subscribe')).toHaveLength(4);
  });

  it('reports each symbol stale once when no update arrives for staleAfterMs, heartbeats notwithstanding', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const reading = read({ clock, staleAfterMs: 1_000 });
    await snapshotsArrived(reading);
    clock.advance(900);
    socket.sendTicker('ETH/USD', { bid: 2_600, ask: 2_601 });
    await waitFor(() => reading.ticks.length === 3, 'the ETH update');
    clock.advance(200);
    await waitFor(
      () => reading.reports.some((report) => report.kind === 'stale'),
      'BTC/USD reported stale',
    );
    const stale = () => reading.reports.filter((report) => report.kind === 'stale');
    expect(stale().map((report) => report.symbol)).toEqual(['BTC/USD']);
    clock.advance(1_000);
    await waitFor(() => stale().length === 2, 'ETH/USD reported stale');
    expect(stale()[1]!.symbol).toBe('ETH/USD');
    socket.sendTicker('BTC/USD', { bid: 50_500, ask: 50_501 });
    await waitFor(() => reading.ticks.length === 4, 'a fresh BTC quote');
    clock.advance(1_001);
    await waitFor(() => stale().length === 3, 'BTC/USD stale again after going quiet again');
    expect(stale().map((report) => report.symbol)).toEqual(['BTC/USD', 'ETH/USD', 'BTC/USD']);
    expect(kindsOf(reading.reports)).not.toContain('disconnected');
  });

  it('ends a pending read promptly on close() and closes the venue socket', async () => {
    const reading = read();
    await snapshotsArrived(reading);
    const started = performance.now();
    await reading.feed.close();
    expect(await reading.done).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_500);
    await waitFor(() => socket.openConnections === 0, 'the socket closed');
  });

  it('closes cleanly while a rate-limited subscription is still waiting to be sent', async () => {
    // ccxt sends the second subscribe one rateLimit after the first, and does not observe that
    // send: closing in between left an unhandled rejection, which ends a Node process.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const reading = read({ venue: { ...venueOptions(rest), rateLimit: 500 } });
      await waitFor(() => reading.ticks.length > 0, 'the first snapshot');
      const closedAt = performance.now();
      await reading.feed.close();
      expect(await reading.done).toBeUndefined();
      // Waiting for something not to happen: the throttled send comes due 500 ms after the first.
      await waitFor(() => performance.now() - closedAt > 1_000, 'the throttled send to come due');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('ends ticks() with ERR_FEED_FAILED for a symbol the venue does not list', async () => {
    const reading = read({}, ['BTC/USD', 'NOPE/USD']);
    const failure = await reading.done;
    expect(isLivegateError(failure, 'ERR_FEED_FAILED')).toBe(true);
    expect((failure as Error).message).toContain('NOPE/USD');
    expect(socket.connectionsAccepted).toBe(0);
  });

  it('ends ticks() with ERR_FEED_FAILED when the venue refuses the credentials', async () => {
    rest.failNext('Assets', { kind: 'kraken-error', message: 'EAPI:Invalid key' });
    rest.failNext('AssetPairs', { kind: 'kraken-error', message: 'EAPI:Invalid key' });
    const reading = read();
    const failure = await reading.done;
    expect(isLivegateError(failure, 'ERR_FEED_FAILED')).toBe(true);
    expect((failure as Error).message).toContain('AuthenticationError');
  });

  it('retries while the venue cannot be reached, reporting disconnected, then connected', async () => {
    rest.failNext('AssetPairs', { kind: 'drop-before' }, 2);
    const reading = read();
    await snapshotsArrived(reading);
    expect(kindsOf(reading.reports)).toEqual(['disconnected', 'connected']);
    expect(rest.callsTo('AssetPairs')).toBe(3);
  });

  it('refuses a venue without streaming tickers in ccxt.pro, pointing to the REST feed', () => {
    for (const venue of ['bitstamp', 'bit2c']) {
      const build = () =>
        new CcxtStreamFeed({ venue: { ...venueOptions(rest, ['BTC/USD']), venue, urls: {} } });
      expect(build).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
      expect(build).toThrow(new RegExp(`${venue}.*watchTicker.*CcxtFeed`));
    }
  });

  it('names every bad feed option at once (ERR_USAGE) and bad venue settings as ERR_CONFIG_INVALID', () => {
    const venue = venueOptions(rest);
    const usage = catchError(
      () =>
        new CcxtStreamFeed({
          venue,
          staleAfterMs: 0,
          maxTicks: 1.5,
          bogus: true,
        } as CcxtStreamFeedOptions),
    );
    expect(isLivegateError(usage, 'ERR_USAGE')).toBe(true);
    expect((usage as Error).message).toMatch(/staleAfterMs.*maxTicks.*bogus: unknown option/s);
    const config = catchError(
      () =>
        new CcxtStreamFeed({
          venue: { ...venue, venue: 'nope', symbols: [] },
          wsUrls: { publicV2: 'http://127.0.0.1:1' },
        }),
    );
    expect(isLivegateError(config, 'ERR_CONFIG_INVALID')).toBe(true);
    expect((config as Error).message).toMatch(/venue\.venue.*venue\.symbols.*wsUrls\.publicV2/s);
    const misspelt = catchError(
      () => new CcxtStreamFeed({ venue, wsUrls: { publicv2: 'ws://127.0.0.1:1/v2' } }),
    );
    expect(isLivegateError(misspelt, 'ERR_CONFIG_INVALID')).toBe(true);
    expect((misspelt as Error).message).toContain('"publicv2"');
  });
});

describe('CcxtStreamFeed against the fake venue', () => {
  let rest: FakeVenueServer | undefined;
  let socket: FakeVenueWebSocket | undefined;
  afterEach(async () => {
    await socket?.close();
    await rest?.close();
    socket = undefined;
    rest = undefined;
  });

  runMarketFeedContract('CcxtStreamFeed (fake Kraken WebSocket)', async (count) => {
    rest ??= await FakeVenueServer.start();
    if (socket === undefined) {
      socket = await FakeVenueWebSocket.start();
      socket.stream(1);
    }
    return new CcxtStreamFeed({
      venue: venueOptions(rest),
      wsUrls: { publicV2: socket.url },
      maxTicks: count,
    });
  });
});

function catchError(build: () => unknown): unknown {
  try {
    build();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

// The WebSocket feed against a real local gateway: reconnects, gaps, garbage, floods and silence.
import { afterEach, describe, expect, it } from 'vitest';
import {
  WebSocketFeed,
  type WebSocketFeedStats,
} from '../../src/adapters/gateway/websocket-feed.js';
import type { WebSocketFeedOptions } from '../../src/adapters/gateway/gateway-options.js';
import {
  END_OF_STREAM_CLOSE_CODE,
  PROTOCOL_ERROR_CLOSE_CODE,
} from '../../src/adapters/gateway/gateway-protocol.js';
import type { VenueReport } from '../../src/core/ports.js';
import type { Tick } from '../../src/core/types.js';
import { ticksOf } from '../contracts/market-feed.contract.js';
import {
  ScriptableGateway,
  tickFrame,
  waitFor,
  type GatewayPeer,
  type GatewayScript,
} from '../support/gateway-server.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startGateway(script: GatewayScript = {}): Promise<ScriptableGateway> {
  const gateway = await ScriptableGateway.start({ venues: false, ...script });
  cleanups.push(() => gateway.stop());
  return gateway;
}

/** A feed with quick reconnects, reading in the background into `ticks`. */
function openFeed(gateway: ScriptableGateway, options: Partial<WebSocketFeedOptions> = {}) {
  const feed = new WebSocketFeed({
    url: gateway.url,
    symbols: ['EURUSD', 'GBPUSD'],
    reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    heartbeatIntervalMs: 100,
    ...options,
  });
  const reports: VenueReport[] = [];
  feed.attach({ onVenueReport: (report) => reports.push(report) });
  const ticks: Tick[] = [];
  const reading = (async () => {
    for await (const item of feed.ticks()) ticks.push(...ticksOf(item));
  })();
  cleanups.push(async () => {
    await feed.close();
    await reading;
  });
  return { feed, reports, ticks };
}

function kinds(reports: readonly VenueReport[]): VenueReport['kind'][] {
  return reports.map((report) => report.kind);
}

async function subscribedPeer(gateway: ScriptableGateway, index: number): Promise<GatewayPeer> {
  await waitFor(
    () => gateway.peers[index]?.framesOf('subscribe').length === 1,
    `subscribe on connection ${index + 1}`,
  );
  return gateway.peers[index] as GatewayPeer;
}

describe('WebSocketFeed', () => {
  it('reports disconnected then connected, resubscribes and resumes ticks after a dropped connection', async () => {
    const gateway = await startGateway();
    const { feed, reports, ticks } = openFeed(gateway);
    const first = await subscribedPeer(gateway, 0);
    for (let index = 0; index < 3; index += 1) first.send(tickFrame(index));
    await waitFor(() => ticks.length === 3, 'three ticks before the drop');

    gateway.dropAll();
    const second = await subscribedPeer(gateway, 1);
    expect(second.received[0]).toMatchObject({
      type: 'subscribe',
      seq: 1,
      symbols: ['EURUSD', 'GBPUSD'],
    });
    for (let index = 3; index < 6; index += 1) second.send(tickFrame(index, 'GBPUSD'));
    await waitFor(() => ticks.length === 6, 'ticks after the reconnect');

    expect(ticks.map((tick) => tick.time - tickFrame(0).time)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(kinds(reports)).toEqual(['connected', 'disconnected', 'connected']);
    expect(reports[1]).toMatchObject({ source: 'feed', venue: gateway.url });
    expect(reports[1]?.detail).toMatch(/connection to ws:\/\/127\.0\.0\.1:\d+ lost/);
    expect(feed.stats()).toMatchObject({ connections: 2, connected: true, deliveredTicks: 6 });
    expect([...first.violations, ...second.violations]).toEqual([]);
  });

  it('reports a sequence gap with the numbers, and a sequence going backwards', async () => {
    const gateway = await startGateway();
    const { feed, reports, ticks } = openFeed(gateway);
    const peer = await subscribedPeer(gateway, 0);
    peer.send(tickFrame(0)); // seq 2 (hello was 1)
    peer.send(tickFrame(1)); // seq 3
    peer.send(tickFrame(2), 8); // 4 to 7 never arrive
    peer.send(tickFrame(3), 5); // an old number
    peer.send(tickFrame(4)); // seq 9: in step again
    await waitFor(() => ticks.length === 5, 'five ticks');

    const gaps = reports.filter((report) => report.kind === 'sequence-gap');
    expect(gaps.map((report) => report.detail)).toEqual([
      'expected seq 4, got 8: 4 frame(s) missing',
      'seq went backwards: expected 9, got 5',
    ]);
    expect(feed.stats().sequenceGaps).toBe(2);
    expect(kinds(reports)).not.toContain('disconnected');
  });

  it('counts and skips malformed frames and bad ticks, and keeps the connection', async () => {
    const gateway = await startGateway();
    const { feed, reports, ticks } = openFeed(gateway);
    const peer = await subscribedPeer(gateway, 0);
    // Garbled frames stood for numbered frames: the numbers they used up are not a gap.
    peer.sendRaw('this is not JSON', { consumesSeq: true });
    peer.sendRaw(Buffer.from([1, 2, 3]), { consumesSeq: true, binary: true });
    peer.send({ type: 'quote', symbol: 'EURUSD' });
    peer.send({ ...tickFrame(0), bid: -1 });
    peer.send(tickFrame(1, 'XAUUSD'));
    peer.send({ ...tickFrame(2), bid: '1.1' });
    peer.send({ ...tickFrame(3), ask: 1.0 });
    peer.send(tickFrame(5));
    peer.send(tickFrame(4)); // earlier than the previous EURUSD tick
    peer.send(tickFrame(6, 'GBPUSD'));
    await waitFor(() => ticks.length === 2, 'the two good ticks');

    expect(ticks.map((tick) => tick.time)).toEqual([tickFrame(5).time, tickFrame(6).time]);
    const stats: WebSocketFeedStats = feed.stats();
    expect(stats.malformedMessages).toBe(8);
    expect(stats.sequenceGaps).toBe(0);
    expect(kinds(reports)).toEqual(['connected', 'malformed-message']);
    expect(reports[1]?.detail).toMatch(/^not JSON: this is not JSON; 1 in total$/);
    expect(gateway.peers).toHaveLength(1);
    expect(peer.closed).toBe(false);
  });

  it('names the bad tick and its symbol in the report', async () => {
    const gateway = await startGateway();
    const { reports } = openFeed(gateway);
    const peer = await subscribedPeer(gateway, 0);
    peer.send({ ...tickFrame(0, 'GBPUSD'), bid: 2, ask: 1 });
    await waitFor(() => kinds(reports).includes('malformed-message'), 'a malformed report');
    expect(reports.at(-1)).toMatchObject({
      kind: 'malformed-message',
      symbol: 'GBPUSD',
      detail: expect.stringMatching(/^bad tick: crossed quote/) as unknown,
    });
  });

  it('keeps memory bounded for a slow consumer, dropping the oldest ticks of the busy symbol', async () => {
    const flood = 100_000;
    const gateway = await startGateway({
      onFrame: (peer, frame) => {
        if (frame.type !== 'subscribe') return;
        peer.send(tickFrame(0, 'GBPUSD'));
        for (let index = 1; index <= flood; index += 1) peer.send(tickFrame(index));
        peer.socket.close(END_OF_STREAM_CLOSE_CODE, 'end of stream');
      },
    });
    const feed = new WebSocketFeed({
      url: gateway.url,
      symbols: ['EURUSD', 'GBPUSD'],
      maxBufferedTicks: 1000,
    });
    cleanups.push(() => feed.close());
    const iterator = feed.ticks()[Symbol.asyncIterator]();
    const received: Tick[] = [];
    const first = await iterator.next();
    if (first.done !== true) received.push(...ticksOf(first.value));

    // The consumer stalls until every tick of the flood has reached the feed.
    const accounted = (stats: WebSocketFeedStats): number =>
      stats.deliveredTicks + stats.bufferedTicks + stats.droppedTicks;
    await waitFor(() => accounted(feed.stats()) === flood + 1, 'the whole flood', 20_000);
    const stalled = feed.stats();
    expect(stalled.bufferedTicks).toBeLessThanOrEqual(1000);
    expect(stalled.droppedTicks).toBeGreaterThan(flood - 1000 - 256);

    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      received.push(...ticksOf(next.value));
    }
    const final = feed.stats();
    expect(final.deliveredTicks + final.droppedTicks).toBe(flood + 1);
    expect(received).toHaveLength(final.deliveredTicks);
    // The quiet symbol's quote survived the flood, and the newest ticks were kept, in order.
    expect(received.filter((tick) => tick.symbol === 'GBPUSD')).toHaveLength(1);
    expect(received.at(-1)?.time).toBe(tickFrame(flood).time);
    const times = received.filter((tick) => tick.symbol === 'EURUSD').map((tick) => tick.time);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('answers heartbeats both ways and stays connected while the gateway answers', async () => {
    const gateway = await startGateway();
    const { reports } = openFeed(gateway, { heartbeatIntervalMs: 50, staleAfterMs: 500 });
    const peer = await subscribedPeer(gateway, 0);
    await waitFor(() => peer.framesOf('heartbeat').length >= 25, '25 heartbeats from livegate');
    expect(peer.framesOf('heartbeat')[0]).toMatchObject({ intervalMs: 50 });
    expect(peer.violations).toEqual([]);
    expect(kinds(reports)).toEqual(['connected']);
    expect(gateway.peers).toHaveLength(1);
  });

  it('reports a stale stream when nothing arrives, drops the connection and reconnects', async () => {
    const gateway = await startGateway({ answerHeartbeats: false });
    const { feed, reports } = openFeed(gateway, { heartbeatIntervalMs: 50, staleAfterMs: 300 });
    await waitFor(() => gateway.peers.length >= 2, 'a reconnect after the stale stream');
    expect(kinds(reports).slice(0, 3)).toEqual(['connected', 'stale', 'disconnected']);
    expect(reports[1]?.detail).toMatch(/^nothing received for \d+ ms \(limit 300 ms\)$/);
    expect(reports[2]?.detail).toMatch(/stale/);
    expect(feed.stats().staleStreams).toBeGreaterThanOrEqual(1);
  });

  it('refuses a gateway speaking another protocol version, and keeps retrying', async () => {
    const gateway = await startGateway({
      hello: (peer) => peer.send({ type: 'hello', protocol: 2, gateway: 'future' }),
    });
    const { reports } = openFeed(gateway);
    await waitFor(() => gateway.peers.length >= 3, 'retries');
    await waitFor(() => gateway.peers[0]?.closed === true, 'the first connection closed');
    expect(gateway.peers[0]?.closeCode).toBe(PROTOCOL_ERROR_CLOSE_CODE);
    expect(kinds(reports)).toEqual(['disconnected']);
    expect(reports[0]?.detail).toMatch(/gateway speaks protocol 2, livegate 1/);
  });

  it('counts a frame over the size limit as malformed and comes back on a new connection', async () => {
    const gateway = await startGateway();
    const { feed, reports, ticks } = openFeed(gateway);
    const first = await subscribedPeer(gateway, 0);
    first.send({ ...tickFrame(0), padding: 'x'.repeat(1_100_000) });
    const second = await subscribedPeer(gateway, 1);
    second.send(tickFrame(1));
    await waitFor(() => ticks.length === 1, 'a tick on the new connection');
    expect(feed.stats().malformedMessages).toBe(1);
    expect(kinds(reports)).toEqual(['connected', 'malformed-message', 'disconnected', 'connected']);
    expect(reports[1]?.detail).toMatch(/payload/i);
  });

  it('reports the gateway unreachable once per outage, not once per attempt', async () => {
    const gateway = await startGateway();
    gateway.refuseConnections = true;
    const { reports, ticks } = openFeed(gateway);
    await waitFor(() => gateway.refusedConnections >= 3, 'three refused attempts');
    expect(kinds(reports)).toEqual(['disconnected']);
    gateway.refuseConnections = false;
    const peer = await subscribedPeer(gateway, 0);
    peer.send(tickFrame(0));
    await waitFor(() => ticks.length === 1, 'a tick once the gateway is up');
    expect(kinds(reports)).toEqual(['disconnected', 'connected']);
  });

  it('rejects every bad option at once with ERR_CONFIG_INVALID', () => {
    const options = {
      url: 'http://127.0.0.1:9000',
      reconnect: { initialDelayMs: 0, maxDelayMs: 10 },
      heartbeatIntervalMs: 5,
      staleAfterMs: 'soon',
      requestTimeoutMs: -1,
      symbols: [],
      maxBufferedTicks: 0,
      extra: 1,
    };
    expect(() => new WebSocketFeed(options as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        message: expect.stringMatching(
          /url.*reconnect\.initialDelayMs.*heartbeatIntervalMs.*staleAfterMs.*requestTimeoutMs.*symbols.*maxBufferedTicks.*extra: unknown option/s,
        ) as unknown,
      }),
    );
    expect(
      () =>
        new WebSocketFeed({
          url: 'ws://h:1',
          symbols: ['A'],
          heartbeatIntervalMs: 1000,
          staleAfterMs: 1500,
        }),
    ).toThrow(/staleAfterMs: must be at least twice heartbeatIntervalMs \(2000\)/);
  });

  it('is named after the gateway without credentials or query', () => {
    const feed = new WebSocketFeed({
      url: 'wss://user:secret@gateway.example:9443/feed?token=abc',
      symbols: ['EURUSD'],
    });
    expect(feed.name).toBe('websocket:wss://gateway.example:9443/feed');
  });
});

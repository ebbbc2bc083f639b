// Dial-in gateways against the reference gateway (scripts/dial-in-gateway) on real sockets: livegate
// listens, the gateway dials in with its token, fills arrive later and in parts, the gateway drops
// and dials back, wrong tokens and second gateways are refused, and a kill reaches the gateway
// through the engine (relay) or, with no engine, by listening itself.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DialInVenueCanceller } from '../../src/adapters/gateway/dial-in-venue-canceller.js';
import { GatewayKillRelay } from '../../src/adapters/gateway/gateway-kill-relay.js';
import {
  GatewayListener,
  type GatewayListenerOptions,
} from '../../src/adapters/gateway/gateway-listener.js';
import { WebSocketBroker } from '../../src/adapters/gateway/websocket-broker.js';
import { WebSocketFeed } from '../../src/adapters/gateway/websocket-feed.js';
import type { VenueReport } from '../../src/core/ports.js';
import type { Tick } from '../../src/core/types.js';
import {
  ReferenceGateway,
  type ReferenceGatewayOptions,
} from '../../scripts/dial-in-gateway/reference-gateway.js';
import { order, recordingListener } from '../contracts/broker.contract.js';
import { waitFor } from '../support/gateway-server.js';

const TOKEN = 'dial-in-test-token-0123456789';
const TIMINGS = { heartbeatIntervalMs: 100, staleAfterMs: 1000, requestTimeoutMs: 3000 };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(options: Partial<GatewayListenerOptions> = {}): Promise<GatewayListener> {
  const listener = await GatewayListener.open({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    helloTimeoutMs: 2000,
    ...options,
  });
  cleanups.push(() => listener.close());
  return listener;
}

function dialIn(
  listener: GatewayListener,
  options: Partial<ReferenceGatewayOptions> = {},
): ReferenceGateway {
  const scheme = options.pinnedCertificate === undefined ? 'ws' : 'wss';
  const gateway = new ReferenceGateway({
    url: `${scheme}://127.0.0.1:${listener.port}`,
    token: TOKEN,
    roles: ['broker'],
    redialMs: 50,
    ...options,
  });
  cleanups.push(() => gateway.stop());
  gateway.start();
  return gateway;
}

/** An engine's broker on the listener, with the kill relay an engine serves beside it. */
async function engineBroker(listener: GatewayListener) {
  const broker = new WebSocketBroker(TIMINGS, listener.source('broker'));
  cleanups.push(() => broker.close());
  const relay = new GatewayKillRelay(broker);
  listener.serveKillRelay((socket) => relay.serve(socket));
  const reports: VenueReport[] = [];
  const listener_ = { ...recordingListener(), onVenueReport: (r: VenueReport) => reports.push(r) };
  await broker.connect(listener_);
  return { broker, events: listener_, reports };
}

function killCanceller(port: number, token = TOKEN, tls?: GatewayListenerOptions['tls']) {
  const canceller = new DialInVenueCanceller({
    listener: { host: '127.0.0.1', port, token, helloTimeoutMs: 2000, ...(tls ? { tls } : {}) },
    timings: { ...TIMINGS, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } },
  });
  cleanups.push(() => canceller.close());
  return canceller;
}

describe('a gateway that dials in', () => {
  it('trades: fills arrive later and in parts, exactly once across the gateway dropping and dialling back', async () => {
    const listener = await listen();
    const gateway = dialIn(listener, { fillDelayMs: 150 });
    const { broker, events } = await engineBroker(listener);

    const orders = [1, 2, 3, 4].map(() => order({ quantity: 2 }));
    const submittedAt = Date.now();
    for (const placed of orders) broker.submit(placed);
    expect(events.fills).toEqual([]); // nothing fills inside submit()
    await waitFor(() => gateway.account.placements === 4, 'four orders at the gateway');

    // The cable is pulled before any fill: the fills happen while the session is down.
    gateway.dropConnections();
    await waitFor(() => !broker.stats().connected, 'the broker to see the session gone');
    expect(broker.openOrders().map((o) => o.id)).toEqual(orders.map((o) => o.id));
    await waitFor(() => broker.stats().connections >= 2, 'the gateway to dial back', 5000);
    await waitFor(() => events.fills.length === 8, 'two fills per order', 5000);

    for (const placed of orders) {
      const fills = events.fills.filter((fill) => fill.orderId === placed.id);
      expect(fills.map((fill) => fill.quantity)).toEqual([1, 1]);
      expect(fills.every((fill) => fill.time > submittedAt)).toBe(true);
    }
    expect(broker.openOrders()).toEqual([]);
    // No order placed twice: the re-sends after the dial-back were status queries.
    expect(gateway.account.placements).toBe(4);
    expect(gateway.account.statusQueries).toBeGreaterThanOrEqual(1);
    expect(gateway.account.positions.get('EURUSD')).toBe(8);
    expect(gateway.violations).toEqual([]);
    // Nothing more comes later (a duplicate fill would be counted, never delivered).
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(events.fills).toHaveLength(8);
  });

  it('streams ticks on /feed after the subscribe, across a drop', async () => {
    const listener = await listen();
    const gateway = dialIn(listener, { roles: ['feed'], tickIntervalMs: 5 });
    const feed = new WebSocketFeed({ ...TIMINGS, symbols: ['EURUSD'] }, listener.source('feed'));
    cleanups.push(() => feed.close());
    const ticks: Tick[] = [];
    const reading = (async () => {
      for await (const item of feed.ticks()) {
        ticks.push(...(Array.isArray(item) ? (item as readonly Tick[]) : [item as Tick]));
        if (ticks.length >= 60) break;
        if (ticks.length === 20) gateway.dropConnections();
      }
    })();
    await reading;
    expect(ticks.length).toBeGreaterThanOrEqual(60);
    expect(feed.stats().connections).toBeGreaterThanOrEqual(2);
  });

  it('refuses a wrong token with close code 4003 and a reason, counted and reported, and keeps the session', async () => {
    const listener = await listen();
    dialIn(listener);
    const { broker, reports } = await engineBroker(listener);
    const intruder = dialIn(listener, { token: 'not-the-token-0123456789', name: 'intruder' });
    await waitFor(() => intruder.closes.length > 0, 'the wrong token to be refused');
    expect(intruder.closes[0]).toEqual({
      role: 'broker',
      code: 4003,
      reason: 'unauthorized: wrong token',
    });
    expect(broker.stats().refusedConnections).toBeGreaterThanOrEqual(1);
    const refused = reports.find((report) => report.kind === 'connection-refused');
    expect(refused?.detail).toMatch(
      /^dial-in to \/broker from 127\.0\.0\.1:\d+ refused: wrong token$/,
    );
    expect(broker.stats().connected).toBe(true);
    expect(broker.stats().connections).toBe(1);
  });

  it('holds one session per role: another gateway is refused, the same gateway dialling again replaces it', async () => {
    const listener = await listen();
    const first = dialIn(listener);
    const { broker } = await engineBroker(listener);
    const other = dialIn(listener, { name: 'other-terminal' });
    await waitFor(() => other.closes.length > 0, 'the other gateway to be refused');
    expect(other.closes[0]).toMatchObject({ code: 4004 });
    expect(other.closes[0]?.reason).toMatch(/held by gateway "reference-gateway"/);
    await other.stop();

    const again = dialIn(listener); // the same gateway, e.g. after its own reconnect
    await waitFor(() => first.closes.length > 0, 'the old session to be replaced');
    await first.stop();
    expect(first.closes[0]).toMatchObject({ code: 4005 });
    await waitFor(() => broker.stats().connected && again.connected('broker'), 'the new session');
    expect(broker.stats().replacedSessions).toBe(1);
    broker.submit(order({ type: 'limit', price: 0.5 }));
    await waitFor(() => again.account.placements === 1, 'an order on the new session');
  });

  it('lets a kill in another process cancel at the gateway through the engine (the relay)', async () => {
    const listener = await listen();
    const gateway = dialIn(listener);
    const { broker, events } = await engineBroker(listener);
    const resting = [0.5, 0.51, 0.52].map((price) => order({ type: 'limit', price }));
    for (const placed of resting) broker.submit(placed);
    gateway.account.placeManualOrder('EURUSD', 1, 0.4);
    await waitFor(() => gateway.account.openOrders.length === 4, 'orders resting');

    const kill = killCanceller(listener.port); // the address is taken: it goes through the engine
    expect(await kill.cancelAll('account')).toBe(4);
    expect(await kill.openOrders()).toEqual([]);
    expect(await kill.positions()).toEqual([]);
    expect(gateway.account.openOrders).toEqual([]);
    // The engine's broker saw its own orders end as cancelled, not expired.
    await waitFor(() => events.done.length === 3, 'the engine to see its orders done');
    expect(events.done.map((done) => done.reason)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(broker.openOrders()).toEqual([]);
  });

  it('refuses a kill relay without the token', async () => {
    const listener = await listen();
    dialIn(listener);
    const { broker } = await engineBroker(listener);
    const kill = killCanceller(listener.port, 'a-wrong-kill-token-0123456789');
    await expect(kill.cancelAll('account')).rejects.toThrow(/4003.*unauthorized/);
    expect(broker.stats().refusedConnections).toBeGreaterThanOrEqual(1);
  });

  it('with the engine gone: the gateway dead-man cancels livegate orders, then a kill listens itself and cancels the rest', async () => {
    const listener = await listen();
    const gateway = dialIn(listener);
    const { broker } = await engineBroker(listener);
    for (const price of [0.5, 0.51]) broker.submit(order({ type: 'limit', price }));
    const manual = gateway.account.placeManualOrder('EURUSD', 1, 0.4);
    await waitFor(() => gateway.account.openOrders.length === 3, 'orders resting');
    await waitFor(() => gateway.heartbeatIntervalMs === 100, 'livegate heartbeats at the gateway');
    const port = listener.port;
    // The engine dies: no heartbeat any more, the address is free.
    await broker.close().catch(() => undefined);
    await listener.close();
    await waitFor(() => gateway.deadManFirings.length === 1, 'the gateway dead-man', 3000);
    expect(gateway.deadManFirings[0]?.cancelled).toBe(2);
    expect(gateway.deadManFirings[0]?.silentForMs).toBeGreaterThanOrEqual(300); // 3 × 100 ms
    expect(gateway.account.openOrders).toEqual([manual]); // not livegate's: the dead-man leaves it

    const kill = killCanceller(port); // nobody listens: the kill does, and the gateway dials in
    expect(await kill.cancelAll('account')).toBe(1);
    expect(await kill.openOrders()).toEqual([]);
    expect(gateway.account.openOrders).toEqual([]);
  });

  it('speaks TLS: the gateway dials wss:// and a kill relay pins the same certificate', async () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'livegate-dial-in-tls-'));
    const [certFile, keyFile] = [path.join(directory, 'cert.pem'), path.join(directory, 'key.pem')];
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
        ...['-subj', '/CN=livegate-engine.example', '-keyout', keyFile, '-out', certFile],
      ],
      { stdio: 'ignore' },
    );
    const tls = { certificate: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    const listener = await listen({ tls });
    const gateway = dialIn(listener, { pinnedCertificate: tls.certificate });
    const { broker } = await engineBroker(listener);
    broker.submit(order({ type: 'limit', price: 0.5 }));
    await waitFor(() => gateway.account.openOrders.length === 1, 'an order over TLS');
    const kill = killCanceller(listener.port, TOKEN, tls);
    expect(await kill.cancelAll('account')).toBe(1);

    const plain = dialIn(listener, { name: 'plain' }); // ws:// to a TLS listener never gets in
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(plain.connected('broker')).toBe(false);
    expect(plain.dialIns).toBe(0);
  });
});

// Kill written -> venue confirmed flat, measured against the local venues (Kraken REST served by
// FakeVenueServer through ccxt's own code, the WebSocket gateway, and the FIX venue on jspurefix):
// cancel-all, then read back.
// The figures go in README and docs/kill-switch.md; the bound here only catches a regression.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CcxtVenueCanceller } from '../../src/adapters/ccxt/ccxt-venue-canceller.js';
import { createFixCanceller } from '../../src/adapters/fix-adapters.js';
import { configSchema } from '../../src/config/schema.js';
import { GatewayVenueCanceller } from '../../src/adapters/gateway/gateway-venue-canceller.js';
import { WebSocketBroker } from '../../src/adapters/gateway/websocket-broker.js';
import type { VenueCanceller } from '../../src/core/ports.js';
import { confirmVenueFlat } from '../../src/killswitch/venue-confirmation.js';
import { FakeVenueServer } from '../support/fake-venue-server.js';
import { FixVenue } from '../support/fix-venue.js';
import { ScriptableGateway } from '../support/gateway-server.js';
import { testVenue } from '../ccxt/ccxt-test-venue.js';

const ROUNDS = 200;
const ORDERS = 5;
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

function percentile(samples: readonly number[], quantile: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] ?? 0;
}

async function measure(
  label: string,
  canceller: VenueCanceller,
  rest: () => void,
  openCount: () => number,
): Promise<void> {
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    for (let index = 0; index < ORDERS; index += 1) rest();
    const startedAt = performance.now();
    const receipt = await confirmVenueFlat(canceller, {
      scope: 'account',
      killWrittenAt: Date.now(),
      startedAt,
      timeoutMs: 5_000,
    });
    expect(receipt.confirmed).toBe(true);
    expect(openCount()).toBe(0);
    samples.push(receipt.afterMs);
  }
  const p50 = percentile(samples, 0.5);
  const p99 = percentile(samples, 0.99);
  console.log(
    `kill -> venue confirmed flat, ${label} (${ORDERS} resting orders, n=${ROUNDS}): p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
  );
  expect(p99).toBeLessThan(1_000);
}

describe('kill -> venue confirmed flat against the local venues', () => {
  it('ccxt (Kraken REST, local): cancel-all and read-back', async () => {
    const server = await FakeVenueServer.start();
    cleanups.push(() => server.close());
    const canceller = new CcxtVenueCanceller(testVenue(server));
    cleanups.push(() => canceller.close());
    await canceller.openOrders(); // markets loaded once, as a kill's first call does
    await measure(
      'ccxt:kraken',
      canceller,
      () => server.placeForeignOrder('XXBTZUSD', 'buy', 0.01, 30_000),
      () => server.openOrders().length,
    );
  }, 120_000);

  it('WebSocket gateway (local): cancel-all and read-back', async () => {
    const gateway = await ScriptableGateway.start();
    cleanups.push(() => gateway.stop());
    const venue = gateway.venue('/account');
    const canceller = new GatewayVenueCanceller(
      () => new WebSocketBroker({ url: `${gateway.url}/account` }),
    );
    cleanups.push(() => canceller.close());
    await canceller.openOrders(); // connected once, as a kill's first call does
    await measure(
      'websocket gateway',
      canceller,
      () => venue.placeForeignOrder({ symbol: 'EURUSD', quantity: 1 }),
      () => venue.openOrders.length,
    );
  }, 120_000);

  it('FIX venue (local jspurefix acceptor): mass cancel and mass status read-back', async () => {
    const venue = await FixVenue.start({ accounts: { MANUAL: 'ACME', KILL: 'ACME' } });
    cleanups.push(() => venue.stop());
    // Its own state dir: the kill session's sequence numbers persist there, and a fresh venue
    // starts at 1 (a shared default dir carried the last run's 2603 into the next run).
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-venue-kill-latency-'));
    const config = configSchema.parse({
      stateDir,
      broker: { kind: 'fix' },
      fix: {
        host: '127.0.0.1',
        port: venue.port,
        senderCompId: 'DESK',
        targetCompId: 'VENUE',
        killSenderCompId: 'KILL',
      },
    });
    const { canceller } = createFixCanceller(config, {});
    cleanups.push(() => canceller.close());
    await canceller.openOrders(); // logged on once, as a kill's first call does
    let placed = 0;
    await measure(
      'fix venue',
      canceller,
      () =>
        venue.book.handle('MANUAL', 'ACME', 'D', {
          ClOrdID: `hand-${++placed}`,
          Instrument: { Symbol: 'EURUSD' },
          Side: '1',
          OrderQtyData: { OrderQty: 1 },
          OrdType: '2',
          Price: 1.05,
        }),
      () => venue.book.openOrders().length,
    );
  }, 120_000);
});

// Review of issue 12 (venue-confirmed kill) against the local Kraken: a venue that keeps one
// order open while acknowledging the cancel-all, a fill that races the cancel, a venue whose
// trade history fails, and a venue that stops answering in the middle of the kill.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeVenueServer } from '../support/fake-venue-server.js';
import { runCli } from '../support/cli-harness.js';
import { FAKE_CREDENTIALS } from '../ccxt/ccxt-test-venue.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const KILL_CREDENTIALS = {
  LIVEGATE_KILL_VENUE_API_KEY: FAKE_CREDENTIALS.apiKey,
  LIVEGATE_KILL_VENUE_SECRET: FAKE_CREDENTIALS.secret,
};

interface Receipt {
  confirmed: boolean;
  cancelled: number;
  stillOpen: { venueOrderId: string; quantity: number }[];
  racedFills: { venueOrderId?: string; quantity: number }[] | null;
  problem?: string;
}

interface KillJson {
  ok: boolean;
  venues?: { ok: boolean; receipts: Receipt[] };
}

/** A ccxt config on the local Kraken with its state initialised; no engine runs. */
async function killSetup(extraVenueLines: readonly string[] = []) {
  const venue = await FakeVenueServer.start();
  cleanups.push(() => venue.close());
  const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-review12-ccxt-'));
  const config = path.join(directory, 'livegate.yaml');
  await writeFile(
    config,
    [
      'feed: { kind: ccxt, ccxt: { mode: poll, pollIntervalMs: 100 } }',
      'broker: { kind: ccxt }',
      'venue:',
      '  id: kraken',
      '  sandbox: false',
      '  symbols: [BTC/USD]',
      '  rateLimitMs: 1',
      `  urls: { public: "${venue.url}", private: "${venue.url}" }`,
      ...extraVenueLines,
      'http: { enabled: false }',
      '',
    ].join('\n'),
  );
  const stateDir = path.join(directory, 'state');
  const common = ['--config', config, '--state-dir', stateDir];
  const init = await runCli(['init', ...common, '--reason', 'review12', '--by', 'review']);
  expect(init.code, init.stderr).toBe(0);
  return { venue, common, stateDir };
}

describe('a venue that acknowledges the cancel-all but keeps one order open', () => {
  it('names the order in the receipt and exits 1', async () => {
    const { venue, common } = await killSetup();
    const stuck = venue.placeForeignOrder('XXBTZUSD', 'buy', 0.01, 30_000);
    venue.placeForeignOrder('XXBTZUSD', 'sell', 0.02, 90_000);
    venue.uncancellable.add(stuck.txid);
    const kill = await runCli(
      ['kill', ...common, '--reason', 'sticky', '--timeout', '1000', '--json'],
      KILL_CREDENTIALS,
    );
    expect(kill.code).toBe(1);
    expect(kill.stderr).toMatch(/ERR_VENUE_UNCONFIRMED/);
    const receipt = (JSON.parse(kill.stdout) as KillJson).venues?.receipts[0];
    expect(receipt?.confirmed).toBe(false);
    expect(receipt?.stillOpen.map((order) => order.venueOrderId)).toEqual([stuck.txid]);
  });
});

describe('an order partly filled and left open', () => {
  it('is named with the quantity still open, and no credential reaches the output or the receipt', async () => {
    const { venue, common, stateDir } = await killSetup();
    const stuck = venue.placeForeignOrder('XXBTZUSD', 'buy', 0.01, 30_000);
    venue.fill(stuck.txid, 0.004); // 0.006 still working
    venue.uncancellable.add(stuck.txid);
    const kill = await runCli(
      ['kill', ...common, '--reason', 'partly filled', '--timeout', '500', '--json'],
      { ...KILL_CREDENTIALS, LIVEGATE_KILL_VENUE_PASSWORD: 'review12-password-value' },
    );
    expect(kill.code).toBe(1);
    const receiptFile = await readFile(path.join(stateDir, 'venue-receipt.json'), 'utf8');
    const status = await runCli(['status', ...common]);
    for (const text of [kill.stdout, kill.stderr, receiptFile, status.stdout, status.stderr]) {
      expect(text).not.toContain(FAKE_CREDENTIALS.secret);
      expect(text).not.toContain('review12-password-value');
    }
    const receipt = (JSON.parse(kill.stdout) as KillJson).venues?.receipts[0];
    expect(receipt?.stillOpen.map((order) => order.venueOrderId)).toEqual([stuck.txid]);
    expect(receipt?.stillOpen[0]?.quantity).toBeCloseTo(0.006, 9);
  });
});

describe("the receipt's cancelled count", () => {
  it('counts what the venue cancelled, not every order listed before each round', async () => {
    const { venue, common } = await killSetup();
    const stuck = venue.placeForeignOrder('XXBTZUSD', 'buy', 0.01, 30_000);
    venue.placeForeignOrder('XXBTZUSD', 'sell', 0.02, 90_000);
    const filling = venue.placeForeignOrder('XXBTZUSD', 'buy', 0.03, 31_000);
    venue.uncancellable.add(stuck.txid);
    venue.onRequest = (method) => {
      // Filled in full by the market just before the cancel-all reaches it: not cancelled.
      if (method === 'CancelAll' && filling.status === 'open') venue.fill(filling.txid);
    };
    const kill = await runCli(
      ['kill', ...common, '--reason', 'count', '--timeout', '1000', '--json'],
      KILL_CREDENTIALS,
    );
    expect(kill.code).toBe(1);
    const receipt = (JSON.parse(kill.stdout) as KillJson).venues?.receipts[0];
    const cancelledAtVenue = [...venue.orders.values()].filter((o) => o.status === 'canceled');
    expect(cancelledAtVenue).toHaveLength(1);
    // Three orders ever existed, one was cancelled; the receipt said more than three.
    expect(receipt?.cancelled).toBe(1);
  });
});

describe('a fill that races the cancel-all', () => {
  it('is in the receipt when the venue lists its trades', async () => {
    const { venue, common } = await killSetup();
    const order = venue.placeForeignOrder('XXBTZUSD', 'buy', 0.01, 30_000);
    venue.onRequest = (method) => {
      // The market reaches the order just as the cancel-all arrives: part of it fills.
      if (method === 'CancelAll' && order.status === 'open') venue.fill(order.txid, 0.004);
    };
    const kill = await runCli(
      ['kill', ...common, '--reason', 'race', '--timeout', '3000', '--json'],
      KILL_CREDENTIALS,
    );
    expect(kill.code, kill.stderr).toBe(0);
    const receipt = (JSON.parse(kill.stdout) as KillJson).venues?.receipts[0];
    expect(receipt?.confirmed).toBe(true);
    expect(receipt?.racedFills).toEqual([
      expect.objectContaining({ venueOrderId: order.txid, quantity: 0.004 }),
    ]);
  });

  it('is not passed off as "not listed by this venue" when reading the trades failed', async () => {
    const { venue, common } = await killSetup();
    const order = venue.placeForeignOrder('XXBTZUSD', 'buy', 0.01, 30_000);
    venue.onRequest = (method) => {
      if (method === 'CancelAll' && order.status === 'open') venue.fill(order.txid, 0.004);
    };
    // Kraken lists trades (TradesHistory); this once it answers with an error.
    venue.failNext('TradesHistory', { kind: 'kraken-error', message: 'EService:Unavailable' }, 5);
    const kill = await runCli(
      ['kill', ...common, '--reason', 'race, history down', '--timeout', '3000'],
      KILL_CREDENTIALS,
    );
    expect(venue.trades.length).toBe(1); // a fill really raced the kill
    // The desk must not read "this venue cannot list fills" (and FLAT, exit 0) when a fill raced
    // and the venue's answer was an error: the receipt has to say the fills are unknown.
    expect(kill.stdout).not.toMatch(/fills since the kill: not listed by this venue/);
    expect(kill.stdout).toMatch(/fills since the kill: .*(unknown|could not|failed|error)/i);
  });
});

describe('a venue that stops answering in the middle of the kill', () => {
  it('exits 1 within --timeout (plus slack), not after the HTTP client timeout', async () => {
    const { venue, common } = await killSetup();
    venue.placeForeignOrder('XXBTZUSD', 'buy', 0.01, 30_000);
    // Markets load; then every open-orders read and balance read hangs for a minute.
    venue.failNext('OpenOrders', { kind: 'delay-after', delayMs: 60_000 }, 50);
    venue.failNext('BalanceEx', { kind: 'delay-after', delayMs: 60_000 }, 50);
    const started = performance.now();
    const kill = await runCli(
      ['kill', ...common, '--reason', 'silent venue', '--timeout', '1500', '--json'],
      KILL_CREDENTIALS,
    );
    const elapsedMs = performance.now() - started;
    expect(kill.code).toBe(1);
    expect(kill.stderr).toMatch(/ERR_VENUE_UNCONFIRMED/);
    // --timeout 1500: the CLI's own start-up and the store write come on top; 4 s is generous.
    // --timeout 1500, plus loading the venue client and the final reads (500 ms).
    expect(elapsedMs, `kill took ${Math.round(elapsedMs)} ms`).toBeLessThan(4_500);
  }, 60_000);
});

// `livegate kill` goes to the market itself: with every engine SIGKILLed, the kill sends each
// configured venue its cancel-all, reads the open orders back until none remain, and prints a
// receipt per venue that `status` shows again later.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeVenueServer } from '../support/fake-venue-server.js';
import { ScriptableGateway, tickFrame } from '../support/gateway-server.js';
import { runCli, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';
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
  venue: string;
  scope: string;
  confirmed: boolean;
  cancelled: number;
  stillOpen: { venueOrderId: string; own: boolean }[];
  leftOpen: number;
  racedFills: unknown[] | null;
  positions: { symbol: string; quantity: number }[] | null;
  afterMs: number;
  problem?: string;
  credentials?: string;
}

interface KillJson {
  ok: boolean;
  venues?: { ok: boolean; skipped?: string; receipts: Receipt[] };
}

async function scratchConfig(prefix: string, lines: readonly string[]) {
  const directory = await mkdtemp(path.join(os.tmpdir(), prefix));
  const config = path.join(directory, 'livegate.yaml');
  await writeFile(config, [...lines, 'http: { enabled: false }', ''].join('\n'));
  const stateDir = path.join(directory, 'state');
  return { config, stateDir, common: ['--config', config, '--state-dir', stateDir] };
}

function track(engine: RunningCli): RunningCli {
  cleanups.push(async () => {
    engine.child.kill('SIGKILL');
    await engine.exited;
  });
  return engine;
}

async function sigkill(engine: RunningCli): Promise<void> {
  engine.child.kill('SIGKILL');
  await engine.exited;
}

/** A ccxt engine on the local Kraken whose market orders rest (fillMarketOrders off). */
async function ccxtSetup(cancelScope?: string, runFlags: readonly string[] = [], env = {}) {
  const venue = await FakeVenueServer.start();
  cleanups.push(() => venue.close());
  venue.fillMarketOrders = false;
  const setup = await scratchConfig('livegate-venue-kill-', [
    'feed: { kind: ccxt, ccxt: { mode: poll, pollIntervalMs: 100 } }',
    'broker: { kind: ccxt }',
    'strategy: { module: one-order-per-tick, options: { quantity: 0.001, side: buy } }',
    'venue:',
    '  id: kraken',
    '  sandbox: false',
    '  symbols: [BTC/USD]',
    '  fillPollIntervalMs: 100',
    '  rateLimitMs: 1',
    `  urls: { public: "${venue.url}", private: "${venue.url}" }`,
    ...(cancelScope === undefined ? [] : [`  cancelScope: { kill: ${cancelScope} }`]),
  ]);
  const engine = track(
    startCli([...['run', ...setup.common], '--engine-id', 'venue-kill-engine', ...runFlags], {
      LIVEGATE_VENUE_API_KEY: FAKE_CREDENTIALS.apiKey,
      LIVEGATE_VENUE_SECRET: FAKE_CREDENTIALS.secret,
      ...env,
    }),
  );
  await waitFor(
    'orders resting at the venue',
    () => (venue.openOrders().length >= 3 ? true : undefined),
    20_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${engine.stderr()}\n${engine.stdout().slice(-3000)}`);
  });
  return { venue, engine, ...setup };
}

describe('livegate kill on a ccxt venue with every engine SIGKILLed', () => {
  it('cancels at the venue itself, reads back none open, and prints a receipt that status shows', async () => {
    const { venue, engine, common } = await ccxtSetup();
    venue.placeForeignOrder('XXBTZUSD', 'buy', 0.01, 30_000);
    await sigkill(engine);
    const openAtKill = venue.openOrders().length;
    expect(openAtKill).toBeGreaterThanOrEqual(4);

    const kill = await runCli(
      ['kill', ...common, '--reason', 'venue kill e2e', '--timeout', '5000', '--json'],
      KILL_CREDENTIALS,
    );
    expect(kill.code, kill.stderr).toBe(0);
    expect(venue.openOrders()).toEqual([]);
    const output = JSON.parse(kill.stdout) as KillJson;
    const receipt = output.venues?.receipts[0];
    expect(receipt).toMatchObject({
      venue: 'ccxt:kraken',
      scope: 'account',
      confirmed: true,
      cancelled: openAtKill,
      stillOpen: [],
      racedFills: [],
      credentials: 'LIVEGATE_KILL_VENUE_*',
    });
    expect(receipt?.positions).toContainEqual({ symbol: 'BTC', quantity: 10 });

    const status = await runCli(['status', ...common]);
    expect(status.stdout).toMatch(/last venue receipt \(kill written at .*\):/);
    expect(status.stdout).toMatch(/ccxt:kraken: FLAT [\d.]+ ms after the kill/);
    expect(status.stdout).toMatch(/still open: none/);
  });

  it('exits 1 naming the venue when it cannot confirm (no credentials for the kill)', async () => {
    const { venue, engine, common } = await ccxtSetup();
    await sigkill(engine);
    const kill = await runCli(['kill', ...common, '--reason', 'no key', '--timeout', '300'], {
      LIVEGATE_VENUE_API_KEY: '',
      LIVEGATE_VENUE_SECRET: '',
    });
    expect(kill.code).toBe(1);
    expect(kill.stderr).toMatch(/ERR_VENUE_UNCONFIRMED: .*ccxt:kraken/);
    expect(kill.stdout).toMatch(/ccxt:kraken: NOT CONFIRMED/);
    expect(venue.openOrders().length).toBeGreaterThan(0);
    // The kill is in the store all the same.
    const status = await runCli(['status', ...common, '--json']);
    expect((JSON.parse(status.stdout) as { state: string }).state).toBe('ENGAGED');
  });

  it('with cancelScope own, cancels livegate orders only and leaves a hand-placed order open', async () => {
    const { venue, engine, common } = await ccxtSetup('own');
    const foreign = venue.placeForeignOrder('XXBTZUSD', 'buy', 0.01, 30_000);
    await sigkill(engine);
    const kill = await runCli(
      ['kill', ...common, '--reason', 'own only', '--timeout', '5000', '--json'],
      KILL_CREDENTIALS,
    );
    expect(kill.code, kill.stderr).toBe(0);
    expect(venue.openOrders().map((order) => order.txid)).toEqual([foreign.txid]);
    const receipt = (JSON.parse(kill.stdout) as KillJson).venues?.receipts[0];
    expect(receipt).toMatchObject({ scope: 'own', confirmed: true, leftOpen: 1 });
  });

  it('--no-venues leaves the venue alone', async () => {
    const { venue, engine, common } = await ccxtSetup();
    await sigkill(engine);
    const open = venue.openOrders().length;
    const kill = await runCli(['kill', ...common, '--reason', 'store only', '--no-venues']);
    expect(kill.code, kill.stderr).toBe(0);
    expect(kill.stdout).toMatch(/venues: --no-venues/);
    expect(venue.openOrders().length).toBe(open);
    expect(venue.callsTo('CancelAll')).toBe(0);
  });
});

describe('an engage through the HTTP API on an engine trading at a venue', () => {
  it('goes to the market too: a hand-placed order the engine never knew is cancelled, and the answer carries the receipt', async () => {
    const operatorToken = 'venue-http-operator-token-0123456789';
    const { venue, engine } = await ccxtSetup(undefined, ['--http', '127.0.0.1:0'], {
      LIVEGATE_OPERATOR_TOKEN: operatorToken,
      ...KILL_CREDENTIALS,
    });
    // Not the engine's: only the venue step (account scope) can cancel it.
    const foreign = venue.placeForeignOrder('XXBTZUSD', 'buy', 0.01, 30_000);
    const base = await waitFor('the console address on stderr', () => {
      const match = /console and control API on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(
        engine.stderr(),
      );
      return match?.[1];
    });
    const response = await fetch(new URL('api/killswitch/engage', base), {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'desk kill via the console', by: 'alice' }),
    });
    const body = (await response.json()) as KillJson & { record: { state: string } };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.record.state).toBe('ENGAGED');
    expect(body.venues?.ok).toBe(true);
    expect(body.venues?.receipts[0]).toMatchObject({
      venue: 'ccxt:kraken',
      scope: 'account',
      confirmed: true,
      stillOpen: [],
      credentials: 'LIVEGATE_KILL_VENUE_*',
    });
    expect(venue.openOrders().map((order) => order.txid)).not.toContain(foreign.txid);
    expect(venue.openOrders()).toEqual([]);
  });
});

describe('livegate watchdog engaging for a hung engine', () => {
  it('goes to the market itself: the frozen engine cannot cancel, the watchdog empties the book', async () => {
    const { venue, engine, common } = await ccxtSetup();
    const watchdog = track(
      startCli(
        ['watchdog', ...common, '--stale-after', '1500', '--interval', '100'],
        KILL_CREDENTIALS,
      ),
    );
    await waitFor('the watchdog to see the engine', () =>
      watchdog.stdout().includes('"engine-seen"') ? true : undefined,
    );
    engine.child.kill('SIGSTOP'); // hung: its orders rest, nothing of it cancels them
    expect(venue.openOrders().length).toBeGreaterThanOrEqual(3);
    const line = await waitFor(
      'the watchdog to report the venues',
      () =>
        watchdog
          .stdout()
          .split('\n')
          .find((entry) => entry.includes('"type":"venues"')),
      20_000,
    );
    const outcome = JSON.parse(line) as { ok: boolean; receipts: Receipt[] };
    expect(outcome.ok).toBe(true);
    expect(outcome.receipts[0]).toMatchObject({ venue: 'ccxt:kraken', confirmed: true });
    expect(venue.openOrders()).toEqual([]);
    expect(watchdog.stdout()).toContain('"scope-engaged"');
  });
});

describe('livegate kill on a WebSocket gateway with every engine SIGKILLed', () => {
  it('sends cancel-all on a connection of its own and reads back an empty book', async () => {
    const gateway = await ScriptableGateway.start();
    cleanups.push(() => gateway.stop());
    const account = gateway.venue('/account-1');
    account.holdAnswers = true; // orders stay open at the venue, unanswered
    let index = 0;
    const ticker = setInterval(() => {
      for (const peer of gateway.openPeers) {
        if (peer.framesOf('subscribe').length > 0) peer.send(tickFrame(index++));
      }
    }, 5);
    cleanups.push(() => Promise.resolve(clearInterval(ticker)));
    const { common } = await scratchConfig('livegate-gateway-kill-', [
      'feed: { kind: websocket }',
      'broker: { kind: websocket }',
      `gateway: { url: "${gateway.url}/account-1", symbols: [EURUSD] }`,
      'strategy: { module: one-order-per-tick }',
    ]);
    const engine = track(startCli(['run', ...common, '--engine-id', 'gateway-kill-engine']));
    await waitFor(
      'orders open at the gateway',
      () => (account.openOrders.length >= 2 ? true : undefined),
      20_000,
    );
    account.placeForeignOrder({ symbol: 'EURUSD', quantity: 1 });
    await sigkill(engine);
    const openAtKill = account.openOrders.length;

    const kill = await runCli([
      'kill',
      ...common,
      '--reason',
      'gateway kill e2e',
      '--timeout',
      '5000',
      '--json',
    ]);
    expect(kill.code, kill.stderr).toBe(0);
    expect(account.openOrders).toEqual([]);
    const receipt = (JSON.parse(kill.stdout) as KillJson).venues?.receipts[0];
    expect(receipt).toMatchObject({
      confirmed: true,
      scope: 'account',
      cancelled: openAtKill,
      stillOpen: [],
      racedFills: null,
    });
    expect(receipt?.venue).toMatch(/^websocket:/);
    expect(Array.isArray(receipt?.positions)).toBe(true);
  });
});

describe('livegate kill on a paper config', () => {
  it('says no venues are configured and exits 0', async () => {
    const { common } = await scratchConfig('livegate-paper-kill-', [
      'feed: { kind: synthetic }',
      'broker: { kind: paper }',
    ]);
    expect((await runCli(['init', ...common, '--reason', 'new', '--by', 'test'])).code).toBe(0);
    const kill = await runCli(['kill', ...common, '--reason', 'paper']);
    expect(kill.code, kill.stderr).toBe(0);
    expect(kill.stdout).toMatch(/venues: no venues configured/);
  });
});

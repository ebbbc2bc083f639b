// Review of issue 12: a scoped kill and the venue step. docs/fleet.md: `livegate kill --scope
// desk:fx` stops only the fx engines. Two desks trade one venue account from one config (`run
// --desk`); a kill of desk fx must not cancel the orders of desk eq, whose engine keeps trading.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeVenueServer } from '../support/fake-venue-server.js';
import { runCli, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';
import { FAKE_CREDENTIALS } from '../ccxt/ccxt-test-venue.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const TRADING = {
  LIVEGATE_VENUE_API_KEY: FAKE_CREDENTIALS.apiKey,
  LIVEGATE_VENUE_SECRET: FAKE_CREDENTIALS.secret,
};

describe('livegate kill --scope desk:fx with two desks on one venue account', () => {
  it('leaves the orders of desk eq (not killed, still trading) open at the venue', async () => {
    const venue = await FakeVenueServer.start();
    cleanups.push(() => venue.close());
    venue.fillMarketOrders = false; // orders rest
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-review12-scoped-'));
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(
      config,
      [
        'feed: { kind: ccxt, ccxt: { mode: poll, pollIntervalMs: 200 } }',
        'broker: { kind: ccxt }',
        'strategy: { module: one-order-per-tick, options: { quantity: 0.001, side: buy } }',
        'venue:',
        '  id: kraken',
        '  sandbox: false',
        '  symbols: [BTC/USD]',
        '  fillPollIntervalMs: 100',
        '  rateLimitMs: 1',
        `  urls: { public: "${venue.url}", private: "${venue.url}" }`,
        'http: { enabled: false }',
        '',
      ].join('\n'),
    );
    const common = ['--config', config, '--state-dir', path.join(directory, 'state')];
    const start = (desk: string): RunningCli => {
      const engine = startCli(
        ['run', ...common, '--engine-id', `review12-${desk}`, '--desk', desk],
        TRADING,
      );
      cleanups.push(async () => {
        engine.child.kill('SIGKILL');
        await engine.exited;
      });
      return engine;
    };
    const equities = start('eq');
    await waitFor(
      'desk eq orders resting',
      () => (venue.openOrders().length >= 2 ? true : undefined),
      20_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${equities.stderr()}`);
    });
    const equitiesOrders = venue.openOrders().map((order) => order.txid);
    const fx = start('fx');
    await waitFor(
      'desk fx orders resting too',
      () => (venue.openOrders().length >= equitiesOrders.length + 2 ? true : undefined),
      20_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${fx.stderr()}`);
    });

    // Desk eq keeps placing orders, so the count above can pass before fx has even started:
    // wait until fx reports (status lists it), or the kill rightly says no engine obeys desk:fx.
    await waitFor(
      'desk fx reporting',
      async () =>
        (await runCli(['status', ...common])).stdout.includes('review12-fx') ? true : undefined,
      20_000,
    );
    const kill = await runCli(
      ['kill', ...common, '--scope', 'desk:fx', '--reason', 'fx loss limit', '--timeout', '5000'],
      TRADING,
    );
    // Desk eq was not killed: its engine still runs SAFE, and its resting orders are its own.
    expect(equities.child.exitCode).toBeNull();
    const stillOpen = new Set(venue.openOrders().map((order) => order.txid));
    const cancelled = equitiesOrders.filter((txid) => !stillOpen.has(txid));
    expect(cancelled, `desk eq orders cancelled by the desk:fx kill:\n${kill.stdout}`).toEqual([]);
    // And the kill does not fight desk eq's new orders until its timeout, then exit 1.
    expect(kill.code, kill.stderr + kill.stdout).toBe(0);
  }, 90_000);
});

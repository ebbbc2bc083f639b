// `livegate run` on a ccxt venue, as an operator would: a real process, ccxt's own Kraken code
// talking to a local server that follows Kraken's REST API. The venue's dead-man switch is armed
// at start and disarmed at shutdown; a kill cancels the engine's orders at the venue.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeVenueServer } from '../support/fake-venue-server.js';
import { FakeVenueWebSocket } from '../support/fake-venue-websocket.js';
import { runCli, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';
import { FAKE_CREDENTIALS } from '../ccxt/ccxt-test-venue.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/**
 * Starts `livegate run` on the local Kraken with fake credentials, buying 0.001 BTC per tick.
 * `feed` is the feed's YAML line; `extraVenueLines` go under `venue:`.
 */
async function startVenueEngine(
  venue: FakeVenueServer,
  feed: string,
  extraVenueLines: readonly string[] = [],
): Promise<{ config: string; stateDir: string; engine: RunningCli }> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-venue-'));
  const config = path.join(directory, 'livegate.yaml');
  await writeFile(
    config,
    [
      feed,
      'broker: { kind: ccxt }',
      'strategy: { module: one-order-per-tick, options: { quantity: 0.001, side: buy } }',
      'venue:',
      '  id: kraken',
      '  sandbox: false',
      '  symbols: [BTC/USD]',
      '  fillPollIntervalMs: 100',
      '  rateLimitMs: 1',
      `  urls: { public: "${venue.url}", private: "${venue.url}" }`,
      ...extraVenueLines,
      'http: { enabled: false }',
      '',
    ].join('\n'),
  );
  const stateDir = path.join(directory, 'state');
  const engine = startCli(
    ['run', '--config', config, '--state-dir', stateDir, '--engine-id', 'venue-engine'],
    {
      LIVEGATE_VENUE_API_KEY: FAKE_CREDENTIALS.apiKey,
      LIVEGATE_VENUE_SECRET: FAKE_CREDENTIALS.secret,
    },
  );
  cleanups.push(async () => {
    engine.child.kill('SIGKILL');
    await engine.exited;
  });
  return { config, stateDir, engine };
}

describe('livegate run on a ccxt venue (Kraken REST, served locally)', () => {
  it('trades through ccxt, arms the venue dead-man switch, cancels at the venue on a kill, disarms on exit', async () => {
    const venue = await FakeVenueServer.start();
    cleanups.push(() => venue.close());
    const { config, stateDir, engine } = await startVenueEngine(
      venue,
      'feed: { kind: ccxt, ccxt: { mode: poll, pollIntervalMs: 100 } }',
    );

    await waitFor(
      'orders filled at the venue',
      () => (venue.trades.length >= 3 ? true : undefined),
      20_000,
    ).catch((error: unknown) => {
      throw new Error(
        `${String(error)}\n${engine.stdout().slice(-4000)}\n${engine.stderr()}\ncalls: ${venue.calls.join(',')}`,
      );
    });
    // Armed on connect with the configured 60 s countdown.
    expect(venue.deadManCalls[0]?.timeout).toBe(60);
    // The venue's instrument rules reached the pre-trade chain: 0.001 BTC is on Kraken's lot grid.
    const status = await waitFor(
      'a heartbeat report with venue figures',
      async () => {
        const result = await runCli(['status', '--config', config, '--state-dir', stateDir]);
        return /last message from the broker's venue/.test(result.stdout) ? result : undefined;
      },
      10_000,
    );
    expect(status.stdout).toMatch(/broker: connected \(kraken\)/);
    expect(status.stdout).toMatch(/venue dead-man: dead-man-armed/);
    expect(status.stdout).toMatch(/last message from the broker's venue: \d+ ms ago/);

    // The kill goes to the venue too; without keys of its own it uses the trading key's variables.
    const kill = await runCli(
      ['kill', '--config', config, '--state-dir', stateDir, '--reason', 'venue e2e'],
      {
        LIVEGATE_VENUE_API_KEY: FAKE_CREDENTIALS.apiKey,
        LIVEGATE_VENUE_SECRET: FAKE_CREDENTIALS.secret,
      },
    );
    expect(kill.code, kill.stderr).toBe(0);
    expect(kill.stdout).toMatch(/ccxt:kraken: FLAT .*credentials LIVEGATE_VENUE_\*/);
    // cancel-on-engage goes to the venue: nothing of ours stays open there.
    await waitFor(
      'the venue to hold no open order',
      () => (venue.openOrders().length === 0 ? true : undefined),
      10_000,
    );
    const placedAtKill = venue.callsTo('AddOrder');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(venue.callsTo('AddOrder')).toBe(placedAtKill);

    engine.child.kill('SIGTERM');
    const exited = await engine.exited;
    expect(exited.code, exited.stderr).toBe(0);
    // A clean shutdown disarms the venue's countdown (0), after cancelling.
    expect(venue.deadManCalls.at(-1)?.timeout).toBe(0);
  });
});

describe('livegate run on a ccxt venue with the streaming feed (Kraken WebSocket v2, served locally)', () => {
  it('trades on ticks from the venue WebSocket, then stops cleanly', async () => {
    const venue = await FakeVenueServer.start();
    const socket = await FakeVenueWebSocket.start();
    cleanups.push(() => venue.close());
    cleanups.push(() => socket.close());
    socket.stream(20);
    const { engine } = await startVenueEngine(
      venue,
      'feed: { kind: ccxt, ccxt: { mode: stream } }',
      [`  wsUrls: { publicV2: "${socket.url}" }`],
    );
    await waitFor(
      'orders on streamed ticks',
      () =>
        venue.trades.length >= 3 && socket.subscribedSymbols().includes('BTC/USD')
          ? true
          : undefined,
      20_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${engine.stderr()}\n${engine.stdout().slice(-3000)}`);
    });
    // Ticks came from the socket: the REST ticker was never asked.
    expect(venue.callsTo('Ticker')).toBe(0);
    engine.child.kill('SIGTERM');
    const exited = await engine.exited;
    expect(exited.code, exited.stderr).toBe(0);
  });
});

// Review 12b: `livegate kill` while a FIX engine is alive and trading (its own session placing,
// the kill's session cancelling at the same venue at the same time): exit 0, venue flat, the
// engine blocked, and the engine's session still logged on afterwards (no collision of numbers).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, scratchDirectory, startCli, waitFor } from '../support/cli-harness.js';
import { FixVenue } from '../support/fix-venue.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('review12b: kill with a live FIX engine trading', () => {
  it('flattens the venue, exit 0, and the engine session stays up', async () => {
    const venue = await FixVenue.start({
      accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' },
      streamIntervalMs: 5,
    });
    cleanups.push(() => venue.stop());
    venue.book.fillMarketOrders = false;
    const directory = await scratchDirectory('livegate-review12b-live-');
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(
      config,
      [
        'feed: { kind: fix }',
        'broker: { kind: fix }',
        'strategy: { module: periodic, options: { every: 5, quantity: 1000 } }',
        'fix:',
        '  host: 127.0.0.1',
        `  port: ${venue.port}`,
        '  senderCompId: DESK',
        '  targetCompId: VENUE',
        '  killSenderCompId: DESK-KILL',
        '  marketData: { senderCompId: DESK-MD }',
        '  symbols: [EURUSD]',
        '  reconnectDelayMs: 100',
        'http: { enabled: false }',
        '',
      ].join('\n'),
    );
    const common = ['--config', config, '--state-dir', path.join(directory, 'state')];
    const engine = startCli(['run', ...common, '--engine-id', 'fix-live']);
    cleanups.push(async () => {
      engine.child.kill('SIGKILL');
      await engine.exited;
    });
    await waitFor(
      'orders resting',
      () => (venue.book.openOrders('ACME').length >= 4 ? true : undefined),
      30_000,
    );
    const kill = await runCli(['kill', ...common, '--reason', 'live', '--timeout', '8000']);
    console.log(kill.code, kill.stdout.slice(-1500), kill.stderr.slice(-500));
    expect(kill.code, kill.stderr).toBe(0);
    expect(venue.book.openOrders()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(venue.book.openOrders()).toEqual([]);
    expect(venue.loggedOn('DESK')).toBe(true);
    expect(venue.wire.some((entry) => /too low/i.test(entry.text))).toBe(false);
  }, 90_000);
});

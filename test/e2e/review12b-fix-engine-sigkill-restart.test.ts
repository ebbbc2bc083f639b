// Review 12b: a FIX engine SIGKILLed while it trades (orders going out, fills coming in, market
// data streaming), restarted at once, several times over. The sequence numbers it persisted must
// never lag what it sent: each restart logs on again (no "MsgSeqNum too low") and trades.
// Seen failing (2026-12-05): the restart logs on fine, but the venue's replay of the previous
// run's fills (sent while the engine was dead) are "fill X6 for order 11e6a7e0..., which this
// broker did not send": not applied to positions (fills 0, positions []), reconciliation trips
// and the engine sits in REDUCING with no new order: one crash mid-day stops a FIX desk until a
// human resets it, and its risk view omits the fills that happened while it was down.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDirectory, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';
import { FixVenue } from '../support/fix-venue.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('review12b: a FIX engine SIGKILLed mid-trading and restarted', () => {
  it('logs on again and trades after each of 2 SIGKILLs', async () => {
    const venue = await FixVenue.start({
      accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' },
      fillParts: 2,
      fillDelayMs: 5,
      streamIntervalMs: 5,
    });
    cleanups.push(() => venue.stop());
    const directory = await scratchDirectory('livegate-review12b-restart-');
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
    for (let round = 0; round < 3; round += 1) {
      const before = venue.messagesFrom('DESK', 'D').length;
      const engine: RunningCli = startCli(['run', ...common, '--engine-id', 'fix-restart']);
      cleanups.push(async () => {
        engine.child.kill('SIGKILL');
        await engine.exited;
      });
      await waitFor(
        `round ${round}: new orders at the venue`,
        () => (venue.messagesFrom('DESK', 'D').length >= before + 6 ? true : undefined),
        30_000,
      ).catch((error: unknown) => {
        throw new Error(
          `${String(error)}\nloggedOn DESK=${venue.loggedOn('DESK')} MD=${venue.loggedOn('DESK-MD')}\nwire: ${venue.wire
            .slice(-6)
            .map((e) => e.client + ' ' + e.text.slice(0, 160))
            .join(
              '\n',
            )}\nstderr: ${engine.stderr().slice(-2000)}\nstdout: ${engine.stdout().slice(-2500)}`,
        );
      });
      if (round === 2) {
        // Every fill once: the engine's position is the venue's, fills of the killed runs included.
        venue.book.fillMarketOrders = false;
        await waitFor('the venue to send its last fills', () =>
          venue.book.fillsInFlight() === 0 ? true : undefined,
        );
        const atVenue = venue.book.netFilled('ACME', 'EURUSD');
        const held = await waitFor(
          `the engine's position to be the venue's ${atVenue}`,
          () => {
            const position = lastHeartbeatPosition(engine.stdout());
            return position === atVenue ? position : undefined;
          },
          10_000,
        ).catch((error: unknown) => {
          const journaled = lastHeartbeatPosition(engine.stdout());
          throw new Error(`${String(error)}: the engine holds ${journaled}`);
        });
        expect(held).toBe(atVenue);
        expect(atVenue).not.toBe(0);
        expect(engine.stdout()).not.toMatch(/which this broker did not send/);
        break;
      }
      engine.child.kill('SIGKILL');
      await engine.exited;
    }
    expect(venue.wire.some((entry) => /too low/i.test(entry.text))).toBe(false);
  }, 180_000);
});

/** EURUSD in the engine's last logged heartbeat (its risk view), or undefined before one. */
function lastHeartbeatPosition(stdout: string): number | undefined {
  const lines = stdout.split('\n').filter((line) => line.includes('"event":"Heartbeat"'));
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  const parsed = JSON.parse(last) as {
    report: { risk?: { positions: { symbol: string; quantity: number }[] } };
  };
  const positions = parsed.report.risk?.positions ?? [];
  return positions.find((position) => position.symbol === 'EURUSD')?.quantity ?? 0;
}

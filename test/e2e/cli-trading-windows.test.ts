// A trading window that closes while the real CLI runs: orders flow until the close, then every
// order (each adds exposure) is denied OUTSIDE_TRADING_WINDOW, and `status` says the window is closed.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal, type JournalEntry } from '../../src/adapters/sinks/journal-reader.js';
import {
  assertBuilt,
  onlyJournal,
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
} from '../support/cli-harness.js';

const ZONE = 'America/New_York';
const EVERY_DAY = '[sun, mon, tue, wed, thu, fri, sat]';

/** Local HH:MM:SS in New York of an instant (a window across local midnight is still one session). */
function newYorkTime(epochMs: number): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(epochMs);
}

async function entries(stateDir: string): Promise<JournalEntry[]> {
  return (await readJournal(await onlyJournal(stateDir))).events;
}

describe('livegate run: a trading window closes during the run', () => {
  it('stops new exposure at the close with OUTSIDE_TRADING_WINDOW in the journal', async () => {
    assertBuilt();
    const stateDir = await scratchDirectory('livegate-windows-');
    // Whole seconds: the window's times have one-second resolution.
    const closeAt = Math.ceil((Date.now() + 4_000) / 1_000) * 1_000;
    const config = path.join(stateDir, 'livegate.yaml');
    await writeFile(
      config,
      [
        `stateDir: ${stateDir}`,
        'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 50 } }',
        'strategy: { module: one-order-per-tick, options: { quantity: 1, side: buy } }',
        'engine: { heartbeatIntervalMs: 200 }',
        'http: { enabled: false }',
        'risk:',
        '  tradingWindows:',
        `    default: { timeZone: ${ZONE}, days: ${EVERY_DAY}, open: '${newYorkTime(closeAt - 120_000)}', close: '${newYorkTime(closeAt)}' }`,
        '',
      ].join('\n'),
    );
    const run = startCli(['run', '--config', config]);
    try {
      await waitFor(
        'orders denied after the close',
        async () => {
          if (run.child.exitCode !== null) throw new Error(`run exited: ${run.stderr()}`);
          const events = await entries(stateDir).catch((): JournalEntry[] => []);
          const denied = events.filter((event) => event.type === 'OrderDenied');
          const closed = events.some(
            (event) => event.type === 'TradingWindowChanged' && event.phase === 'closed',
          );
          return closed && denied.length >= 20 ? true : undefined;
        },
        20_000,
      );
      const status = await runCli(['status', '--config', config]);
      expect(status.stdout).toMatch(
        /trading window default \(America\/New_York\): CLOSED \(no new exposure: OUTSIDE_TRADING_WINDOW\) until \d{4}-/,
      );
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
    const events = await entries(stateDir);
    const submitted = events.filter((event) => event.type === 'OrderSubmitted');
    const denied = events.filter(
      (event) => event.type === 'OrderDenied' && event.code === 'OUTSIDE_TRADING_WINDOW',
    );
    expect(submitted.length).toBeGreaterThan(20);
    expect(denied.length).toBeGreaterThanOrEqual(20);
    // Journal order: every order went out before the first window denial, and from there on every
    // order was denied for the window (a stale lease under load may deny one at the start).
    const first = events.indexOf(denied[0]!);
    expect(events.lastIndexOf(submitted.at(-1)!)).toBeLessThan(first);
    expect(
      events
        .slice(first)
        .filter((event) => event.type === 'OrderDenied' && event.code !== 'OUTSIDE_TRADING_WINDOW'),
    ).toEqual([]);
    expect(denied.every((event) => event.time >= closeAt)).toBe(true);
    expect(denied[0]).toMatchObject({
      details: {
        symbol: 'EURUSD',
        window: 'default',
        phase: 'closed',
        timeZone: ZONE,
        // Tomorrow's session opens at the same local time (a day later, or 23 or 25 hours over a change).
        nextOpen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
      },
    });
    const changes = events.filter((event) => event.type === 'TradingWindowChanged');
    expect(changes.map((event) => [event.previousPhase, event.phase])).toEqual([
      [null, 'open'],
      ['open', 'closed'],
    ]);
    expect(changes[0]).toMatchObject({ nextClose: closeAt });
  }, 40_000);
});

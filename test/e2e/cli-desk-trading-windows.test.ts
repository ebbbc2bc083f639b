// A desk's trading window through the real CLI: an engine run with --desk fx is held to the fx
// desk's window (closed now) on top of the firm's (open); the same config without --desk trades.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal, type JournalEntry } from '../../src/adapters/sinks/journal-reader.js';
import {
  assertBuilt,
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
} from '../support/cli-harness.js';

const EVERY_DAY = '[sun, mon, tue, wed, thu, fri, sat]';
const utcTime = (epochMs: number) => new Date(epochMs).toISOString().slice(11, 16);

async function configWithDeskWindow(): Promise<{ config: string; stateDir: string }> {
  const stateDir = await scratchDirectory('livegate-desk-windows-');
  const config = path.join(stateDir, 'livegate.yaml');
  const now = Date.now();
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
      `    default: { timeZone: UTC, days: ${EVERY_DAY}, open: '00:00', close: '24:00' }`,
      '    desks:',
      // Opens in two hours: closed for the whole test.
      `      fx: { default: { timeZone: UTC, days: ${EVERY_DAY}, open: '${utcTime(now + 7_200_000)}', close: '${utcTime(now + 10_800_000)}' } }`,
      '',
    ].join('\n'),
  );
  return { config, stateDir };
}

async function runUntil(
  args: string[],
  stateDir: string,
  engineId: string,
  enough: (events: JournalEntry[]) => boolean,
): Promise<JournalEntry[]> {
  const journal = path.join(stateDir, 'journal', engineId);
  const run = startCli([...args, '--engine-id', engineId]);
  try {
    await waitFor(
      `${engineId}'s journal`,
      async () => {
        if (run.child.exitCode !== null) throw new Error(`run exited: ${run.stderr()}`);
        const events = (await readJournal(journal).catch(() => undefined))?.events ?? [];
        return enough(events) ? true : undefined;
      },
      20_000,
    );
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
  }
  return (await readJournal(journal)).events;
}

describe('livegate run --desk: the desk trading window', () => {
  it("denies a desk engine's new exposure outside its desk's window; an engine of no desk trades", async () => {
    assertBuilt();
    const { config, stateDir } = await configWithDeskWindow();
    const denied = (events: JournalEntry[]) =>
      events.filter((e) => e.type === 'OrderDenied' && e.code === 'OUTSIDE_TRADING_WINDOW');

    const desk = await runUntil(
      ['run', '--config', config, '--desk', 'fx'],
      stateDir,
      'fx-engine',
      (events) => denied(events).length >= 10,
    );
    expect(desk.filter((e) => e.type === 'OrderSubmitted')).toEqual([]);
    expect(denied(desk)[0]).toMatchObject({
      details: { symbol: 'EURUSD', window: 'desk:fx', phase: 'closed', timeZone: 'UTC' },
    });

    const firmOnly = await runUntil(
      ['run', '--config', config],
      stateDir,
      'no-desk-engine',
      (events) => events.filter((e) => e.type === 'OrderSubmitted').length >= 10,
    );
    expect(denied(firmOnly)).toEqual([]);

    const wrongCase = await runCli(['run', '--config', config, '--desk', 'FX']);
    expect(wrongCase.code).toBe(2);
    expect(wrongCase.stderr).toMatch(/engine desk "FX" is not one of .*\(fx\)/);
  }, 60_000);
});

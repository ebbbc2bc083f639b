// Review 11c: desk names are exact, and `run` refuses a --desk that is a key of neither risk.desks nor
// risk.tradingWindows.desks. With limits under `risk.desks.fx` and the desk's window under
// `risk.tradingWindows.desks.FX` (one slip of case, or london-fx / london_fx), `--desk fx` is accepted
// (it is a key of risk.desks) and runs with no desk window at all: no warning, no refusal, and it
// takes new exposure while the desk's window is closed. (`--desk FX` would run with the window and
// without the desk's limits.) review11-desk-name-case closed this for risk.desks alone.
// Seen: `--desk fx` starts and submits 11 orders in about a second while the FX window is closed.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal, type JournalEntry } from '../../src/adapters/sinks/journal-reader.js';
import { assertBuilt, scratchDirectory, startCli, waitFor } from '../support/cli-harness.js';

const EVERY_DAY = '[sun, mon, tue, wed, thu, fri, sat]';
const utcTime = (epochMs: number) => new Date(epochMs).toISOString().slice(11, 16);

describe('review 11c: a desk whose limits and window are keyed in different case', () => {
  it('is refused, or held to the closed window', async () => {
    assertBuilt();
    const stateDir = await scratchDirectory('livegate-review11c-desk-case-');
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
        '  deskView: { maxAgeMs: 5000 }',
        '  desks:',
        '    fx: { maxPosition: 1000000 }',
        '  tradingWindows:',
        `    default: { timeZone: UTC, days: ${EVERY_DAY}, open: '00:00', close: '24:00' }`,
        '    desks:',
        // Opens in two hours: closed for the whole test.
        `      FX: { default: { timeZone: UTC, days: ${EVERY_DAY}, open: '${utcTime(now + 7_200_000)}', close: '${utcTime(now + 10_800_000)}' } }`,
        '',
      ].join('\n'),
    );
    const run = startCli(['run', '--config', config, '--desk', 'fx', '--engine-id', 'case']);
    const journal = path.join(stateDir, 'journal', 'case');
    let events: JournalEntry[] = [];
    try {
      await waitFor(
        'a refusal, 10 orders or 10 window denials',
        async () => {
          if (run.child.exitCode !== null) return true;
          events = (await readJournal(journal).catch(() => undefined))?.events ?? [];
          const submitted = events.filter((e) => e.type === 'OrderSubmitted').length;
          const denied = events.filter(
            (e) => e.type === 'OrderDenied' && e.code === 'OUTSIDE_TRADING_WINDOW',
          ).length;
          return submitted >= 10 || denied >= 10 ? true : undefined;
        },
        30_000,
      );
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
    const refused = run.child.exitCode === 2;
    const submitted = events.filter((e) => e.type === 'OrderSubmitted').length;
    expect(
      { refused, submitted: refused ? 0 : submitted },
      `exit ${String(run.child.exitCode)}; ${submitted} orders submitted with the desk window closed`,
    ).toMatchObject({ submitted: 0 });
  }, 60_000);
});

// Risk state survives a restart of the real CLI: the day's loss, positions and open rules come back
// from the engine's journal under its stable default id, so a second 60 % loss trips dailyLoss.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal, type JournalEntry } from '../../src/adapters/sinks/journal-reader.js';
import {
  onlyJournal,
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
} from '../support/cli-harness.js';

const STRATEGY = path.resolve('test/fixtures/losing-round-trips-strategy.mjs');
/** 6 round trips of 400 at a 0.25 spread: 600, 60 % of the 1000 limit. */
const LIMIT = 1_000;

async function deployment(): Promise<{ stateDir: string; config: string }> {
  const stateDir = await scratchDirectory('livegate-restart-');
  const csv = path.join(stateDir, 'ticks.csv');
  // Two minutes of one quote every 100 ms, replayed in real time: the engine runs until stopped.
  const start = Date.parse('2024-03-04T09:00:00.000Z');
  const rows = Array.from(
    { length: 1_200 },
    (_, index) => `${new Date(start + index * 100).toISOString()},EURUSD,1.5,1.75`,
  );
  await writeFile(csv, `time,symbol,bid,ask\n${rows.join('\n')}\n`);
  const config = path.join(stateDir, 'livegate.yaml');
  await writeFile(
    config,
    [
      `stateDir: ${stateDir}`,
      'feed: { kind: csv, csv: { path: ticks.csv, speed: 1 } }',
      `strategy: { module: ${STRATEGY}, options: { quantity: 400, roundTrips: 6 } }`,
      'engine: { heartbeatIntervalMs: 200 }',
      'http: { enabled: false }',
      'risk:',
      `  monitor: { rules: { dailyLoss: { limit: ${LIMIT} } } }`,
      '',
    ].join('\n'),
  );
  return { stateDir, config };
}

async function entries(stateDir: string): Promise<JournalEntry[]> {
  return (await readJournal(await onlyJournal(stateDir))).events;
}

/** Runs until the journal holds `fills` fills and the state recorded after the last, then stops it. */
async function loseThenStop(
  stateDir: string,
  config: string,
  signal: NodeJS.Signals,
): Promise<void> {
  const run = startCli(['run', '--config', config]);
  await waitFor(
    'six losing round trips journaled with their risk state',
    async () => {
      if (run.child.exitCode !== null) {
        throw new Error(`the first run exited (${run.child.exitCode}): ${run.stderr()}`);
      }
      const events = await entries(stateDir).catch((): JournalEntry[] => []);
      const last = events.filter((event) => event.type === 'RiskStateRecorded').at(-1);
      return events.filter((event) => event.type === 'OrderFilled').length === 12 &&
        last?.type === 'RiskStateRecorded' &&
        last.state.balances.USD === -600
        ? true
        : undefined;
    },
    20_000,
  ).catch((error: unknown) => {
    run.child.kill('SIGKILL');
    const events = run.stdout().split('\n').slice(-5).join('\n');
    throw new Error(`${String(error)}; stderr: ${run.stderr()}; last log lines: ${events}`);
  });
  run.child.kill(signal);
  const exit = await run.exited;
  if (signal === 'SIGTERM') expect(exit.code).toBe(0);
  else expect(exit.signal).toBe('SIGKILL');
}

describe('livegate run: risk state across restarts', () => {
  it.each([{ signal: 'SIGTERM' as const }, { signal: 'SIGKILL' as const }])(
    'loses 60 percent of the daily limit, is stopped ($signal), restarts and trips dailyLoss at 100 percent',
    async ({ signal }) => {
      const { stateDir, config } = await deployment();
      await loseThenStop(stateDir, config, signal);
      const second = startCli(['run', '--config', config]);
      const breach = await waitFor(
        'dailyLoss to trip in the second run',
        async () => (await entries(stateDir)).find((event) => event.type === 'RiskLimitBreached'),
        20_000,
      );
      second.child.kill('SIGTERM');
      await second.exited;
      // 600 carried over + 4 round trips of 100: the rule trips at exactly its limit.
      expect(breach).toMatchObject({ rule: 'dailyLoss', value: LIMIT, threshold: LIMIT });
      const events = await entries(stateDir);
      const restored = events.find((event) => event.type === 'RiskStateRestored');
      expect(restored).toMatchObject({ sameTradingDay: true, fillsReplayed: 0 });
      expect(restored?.type === 'RiskStateRestored' && restored.message).toMatch(
        /^restart: restored from risk state recorded at .*: positions flat; daily PnL -600\.00/,
      );
      // The restart sits between the two runs in the one journal of the one (stable) engine id.
      const starts = events.flatMap((event, index) => (event.type === 'RunStarted' ? [index] : []));
      expect(starts).toHaveLength(2);
      expect(events.indexOf(restored!)).toBeLessThan(starts[1]!);
      expect(events.indexOf(restored!)).toBeGreaterThan(starts[0]!);
      // After the trip nothing more was filled: 12 fills in the first run, 8 in the second.
      expect(events.filter((event) => event.type === 'OrderFilled')).toHaveLength(20);
      const status = await runCli(['status', '--config', config]);
      expect(status.stdout).toContain('ENGAGED');
    },
    60_000,
  );

  it('refuses to start on a corrupt journal line, naming the file and line', async () => {
    const { stateDir, config } = await deployment();
    await loseThenStop(stateDir, config, 'SIGTERM');
    const file = path.join(await onlyJournal(stateDir), 'journal.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[2] = '{"half a line';
    await writeFile(file, lines.join('\n'));
    const result = await runCli(['run', '--config', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `ERR_JOURNAL_CORRUPT: journal ${file} line 3 is not a journal entry`,
    );
  }, 60_000);
});

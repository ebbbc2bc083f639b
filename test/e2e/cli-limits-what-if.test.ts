// `livegate limits what-if` against real runs of the CLI: a journal recorded with no limits,
// replayed against tighter ones, reports the denials and trips that a real run with those limits
// made on the same CSV (a strategy whose orders depend on the ticks alone); looser limits lift them.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJournal, type JournalEntry } from '../../src/adapters/sinks/journal-reader.js';
import type { WhatIfReport } from '../../src/risk/what-if/what-if-report.js';
import { onlyJournal, runCli, scratchDirectory } from '../support/cli-harness.js';

const STRATEGY = path.resolve('test/fixtures/pattern-strategy.mjs');
/** Net zero per cycle; sizes from 100 to 700 so quantity and position limits bite differently. */
const PATTERN = [300, 300, -200, 300, -700];
const TIGHT_QUANTITY = 'preTrade: { defaults: { maxQuantity: 350 } }';
const TIGHT_POSITION = 'preTrade: { defaults: { maxPosition: 500 } }';
/** Each cycle of the pattern loses the 0.25 spread on 900 bought and sold: 225. */
const TIGHT_LOSS = 'monitor: { rules: { dailyLoss: { limit: 500 } } }';

interface Recorded {
  readonly directory: string;
  readonly config: string;
  readonly journal: string;
  readonly events: JournalEntry[];
  readonly exitCode: number | null;
}

/** One real run on 40 quotes 100 ms apart (bid 1.5, ask 1.75), its risk section `risk`. */
async function record(risk: string | undefined): Promise<Recorded> {
  const directory = await scratchDirectory('livegate-what-if-');
  const start = Date.parse('2024-03-04T09:00:00.000Z');
  const rows = Array.from(
    { length: 40 },
    (_, index) => `${new Date(start + index * 100).toISOString()},EURUSD,1.5,1.75`,
  );
  await writeFile(path.join(directory, 'ticks.csv'), `time,symbol,bid,ask\n${rows.join('\n')}\n`);
  const config = path.join(directory, 'livegate.yaml');
  await writeFile(
    config,
    [
      `stateDir: ${directory}`,
      // Real time: a replay at full speed would outrun the kill-switch lease's first read.
      'feed: { kind: csv, csv: { path: ticks.csv, speed: 1 } }',
      `strategy: { module: ${STRATEGY}, options: { pattern: [${PATTERN.join(', ')}], warmUp: 5 } }`,
      'http: { enabled: false }',
      ...(risk === undefined ? [] : ['risk:', `  ${risk}`]),
      '',
    ].join('\n'),
  );
  const run = await runCli(['run', '--config', config]);
  const journal = await onlyJournal(directory);
  const { events } = await readJournal(journal);
  // Same order stream in every run: no order may have met the lease instead of the limits.
  expect(events.filter((e) => e.type === 'OrderDenied' && e.gate === 3)).toEqual([]);
  return { directory, config, journal, events, exitCode: run.code };
}

async function whatIf(limits: string, journal: string): Promise<WhatIfReport> {
  const file = path.join(
    path.dirname(journal),
    `limits-${Math.random().toString(36).slice(2)}.yaml`,
  );
  await writeFile(file, `${limits}\n`);
  const result = await runCli(['limits', 'what-if', file, '--journal', journal, '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as WhatIfReport;
}

/** The order attempts a real run denied, as side, quantity and code, in order. */
function deniedIn(events: readonly JournalEntry[]): string[] {
  return events.flatMap((e) =>
    e.type === 'OrderDenied' ? [`${e.side} ${e.quantity} ${e.code}`] : [],
  );
}

function submittedIn(events: readonly JournalEntry[]): number {
  return events.filter((e) => e.type === 'OrderSubmitted').length;
}

function reported(report: WhatIfReport): string[] {
  return report.newlyDenied.map((order) => `${order.side} ${order.quantity} ${order.code}`);
}

describe('livegate limits what-if', () => {
  let unlimited: Recorded;
  let tightQuantity: Recorded;
  let tightPosition: Recorded;
  let tightLoss: Recorded;

  beforeAll(async () => {
    [unlimited, tightQuantity, tightPosition, tightLoss] = await Promise.all([
      record(undefined),
      record(TIGHT_QUANTITY),
      record(TIGHT_POSITION),
      record(TIGHT_LOSS),
    ]);
  }, 90_000);

  it('reports the max-quantity denials a real run with that limit made', async () => {
    const report = await whatIf(TIGHT_QUANTITY, unlimited.journal);
    const real = deniedIn(tightQuantity.events);
    expect(real.length).toBeGreaterThan(0);
    expect(reported(report)).toEqual(real);
    expect(report.totals).toMatchObject({ newlyAccepted: 0, tripsNow: 0 });
    expect(report.totals.acceptedNow).toBe(submittedIn(tightQuantity.events));
  });

  it('reports the position-limit denials a real run with that limit made', async () => {
    const report = await whatIf(TIGHT_POSITION, unlimited.journal);
    const real = deniedIn(tightPosition.events);
    expect(real.length).toBeGreaterThan(0);
    expect(real.every((denial) => denial.endsWith('MAX_POSITION_EXCEEDED'))).toBe(true);
    expect(reported(report)).toEqual(real);
    expect(report.totals.acceptedNow).toBe(submittedIn(tightPosition.events));
  });

  it('reports the dailyLoss trip, its value and the engaged denials after it, as a real run had them', async () => {
    const report = await whatIf(TIGHT_LOSS, unlimited.journal);
    const breaches = tightLoss.events.flatMap((e) =>
      e.type === 'RiskLimitBreached'
        ? [{ rule: e.rule, value: e.value, threshold: e.threshold }]
        : [],
    );
    expect(breaches).toHaveLength(1);
    expect(
      report.tripsNow.map(({ rule, value, threshold }) => ({ rule, value, threshold })),
    ).toEqual(breaches);
    // The real run's gates closed at the trip, so its strategy saw no more ticks (gate 1): the
    // orders the recorded stream sent for those ticks are the ones the replay denies as engaged.
    const blocked = tightLoss.events.filter((e) => e.type === 'TickBlocked').length;
    expect(blocked).toBeGreaterThan(0);
    expect(reported(report)).toEqual(
      Array(blocked).fill(expect.stringMatching(/KILL_SWITCH_ENGAGED$/)),
    );
    expect(report.totals.acceptedNow).toBe(submittedIn(tightLoss.events));
    expect(tightLoss.exitCode).toBe(3);
  });

  it('lifts the denials of a recorded run under looser limits', async () => {
    const report = await whatIf(
      'preTrade: { defaults: { maxQuantity: 1000 } }',
      tightQuantity.journal,
    );
    const denied = deniedIn(tightQuantity.events);
    expect(denied.length).toBeGreaterThan(0);
    expect(report.newlyAccepted.map((o) => `${o.side} ${o.quantity} ${o.codeThen}`)).toEqual(
      denied,
    );
    expect(report.totals).toMatchObject({ deniedNow: 0, newlyDenied: 0 });
  });

  it('finds nothing to change when replaying a run against its own config file', async () => {
    const result = await runCli([
      'limits',
      'what-if',
      tightLoss.config,
      '--journal',
      tightLoss.journal,
      '--json',
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as WhatIfReport;
    expect(report.totals).toMatchObject({ newlyDenied: 0, newlyAccepted: 0, deniedOtherwise: 0 });
    expect(report.tripsNow.map((t) => [t.rule, t.value])).toEqual(
      report.tripsThen.map((t) => [t.rule, t.value]),
    );
  });

  it('prints what the replay cannot know before what it found', async () => {
    const file = path.join(unlimited.directory, 'tight.yaml');
    await writeFile(file, `${TIGHT_QUANTITY}\n`);
    const result = await runCli(['limits', 'what-if', file, '--journal', unlimited.journal]);
    expect(result.code).toBe(0);
    const caveats = result.stdout.indexOf('What this cannot know:');
    expect(caveats).toBeGreaterThan(0);
    expect(result.stdout.indexOf('Accepted then, denied now')).toBeGreaterThan(caveats);
    expect(result.stdout).toMatch(
      /EURUSD buy 300 market\s+MAX_ORDER_QUANTITY_EXCEEDED: 300 vs limit 350|EURUSD sell 700 market\s+MAX_ORDER_QUANTITY_EXCEEDED: 700 vs limit 350/,
    );
  });

  it('names a bad limits key and exits 2', async () => {
    const file = path.join(unlimited.directory, 'typo.yaml');
    await writeFile(file, 'preTrade: { defaults: { maxQuantitty: 5 } }\n');
    const result = await runCli(['limits', 'what-if', file, '--journal', unlimited.journal]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ERR_CONFIG_INVALID');
    expect(result.stderr).toContain('risk.preTrade.defaults.maxQuantitty: unknown key');
  });

  it('refuses a missing journal directory and a corrupt line, naming the file and line (exit 2)', async () => {
    const file = path.join(unlimited.directory, 'tight.yaml');
    await writeFile(file, `${TIGHT_QUANTITY}\n`);
    const missing = path.join(unlimited.directory, 'no-such-journal');
    const absent = await runCli(['limits', 'what-if', file, '--journal', missing]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain(`ERR_USAGE: --journal ${missing}: no such directory`);

    const copy = await scratchDirectory('livegate-what-if-corrupt-');
    const lines = (await readFile(path.join(unlimited.journal, 'journal.jsonl'), 'utf8')).split(
      '\n',
    );
    lines[3] = '{"half a line';
    await writeFile(path.join(copy, 'journal.jsonl'), lines.join('\n'));
    const corrupt = await runCli(['limits', 'what-if', file, '--journal', copy]);
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toContain(
      `ERR_JOURNAL_CORRUPT: journal ${path.join(copy, 'journal.jsonl')} line 4 is not a journal entry`,
    );
  });
});

// The CSV replay feed reports every kind of bad line by number, stops at the first in strict mode,
// and replays at the recorded pace when asked.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CsvReplayMarketFeed,
  type CsvBadLine,
  type CsvReplayMarketFeedOptions,
} from '../../src/adapters/feeds/csv-replay-market-feed.js';
import { isLivegateError } from '../../src/core/errors.js';
import type { TickOrBatch } from '../../src/core/ports.js';
import type { Tick } from '../../src/core/types.js';
import { collectTicks, ticksOf } from '../contracts/market-feed.contract.js';

const BAD_TICKS = 'test/fixtures/bad-ticks.csv';
const EXAMPLE_TICKS = 'examples/ticks.csv';
let directory = '';

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'livegate-csv-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function csvFile(name: string, content: string): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, content);
  return path;
}

function reading(options: Omit<CsvReplayMarketFeedOptions, 'onBadLine'>): {
  feed: CsvReplayMarketFeed;
  badLines: CsvBadLine[];
} {
  const badLines: CsvBadLine[] = [];
  const feed = new CsvReplayMarketFeed({
    ...options,
    onBadLine: (problem) => badLines.push(problem),
  });
  return { feed, badLines };
}

async function failureOf(feed: CsvReplayMarketFeed, received: Tick[] = []): Promise<unknown> {
  try {
    for await (const item of feed.ticks()) received.push(...ticksOf(item));
  } catch (error) {
    return error;
  }
  throw new Error('expected the replay to fail');
}

describe('CsvReplayMarketFeed', () => {
  it('replays the shipped example file in full', async () => {
    const { feed, badLines } = reading({ path: EXAMPLE_TICKS });
    const ticks = await collectTicks(feed);
    expect(badLines).toEqual([]);
    expect(ticks.length).toBe(300);
    expect(new Set(ticks.map((tick) => tick.symbol))).toEqual(
      new Set(['EURUSD', 'GBPUSD', 'USDJPY']),
    );
    expect(ticks[0]).toEqual({
      symbol: 'GBPUSD',
      bid: 1.26805,
      ask: 1.26809,
      time: Date.parse('2024-03-04T09:00:00.147Z'),
      bidSize: 4_500_000,
      askSize: 1_500_000,
    });
    expect(feed.name).toBe(`csv:${EXAMPLE_TICKS}`);
  });

  it('reports every kind of bad line with its 1-based line number, and keeps the good ones', async () => {
    const { feed, badLines } = reading({ path: BAD_TICKS, symbols: ['EURUSD', 'GBPUSD'] });
    const ticks = await collectTicks(feed);
    expect(ticks.map((tick) => tick.time)).toEqual([
      Date.parse('2024-03-04T09:00:00.000Z'),
      1_709_542_801_000,
    ]);
    expect(badLines.map(({ line, message }) => [line, message])).toEqual([
      [4, expect.stringMatching(/expected 4 columns, found 3/)],
      [5, expect.stringMatching(/bid "abc" is not a number/)],
      [6, expect.stringMatching(/bid "NaN" is not a number/)],
      [7, expect.stringMatching(/bid must be positive/)],
      [8, expect.stringMatching(/ask must be positive/)],
      [10, expect.stringMatching(/crossed quote/)],
      [11, expect.stringMatching(/time goes backwards/)],
      [12, expect.stringMatching(/unknown symbol "XAUUSD"/)],
      [13, expect.stringMatching(/symbol is empty/)],
      [14, expect.stringMatching(/time "yesterday" is neither epoch milliseconds nor ISO-8601/)],
    ]);
    expect(badLines[0]).toMatchObject({
      path: BAD_TICKS,
      text: '2024-03-04T09:00:00.100Z,EURUSD,1.08410',
    });
    expect(feed.badLines).toBe(10);
  });

  it('accepts any symbol when no symbol list is given', async () => {
    const { feed, badLines } = reading({ path: BAD_TICKS });
    expect((await collectTicks(feed)).map((tick) => tick.symbol)).toEqual([
      'EURUSD',
      'XAUUSD',
      'GBPUSD',
    ]);
    expect(badLines.map((problem) => problem.line)).not.toContain(12);
  });

  it('in strict mode delivers the ticks before the first bad line, then throws ERR_FEED_BAD_TICK naming file:line', async () => {
    const { feed, badLines } = reading({ path: BAD_TICKS, strict: true });
    const received: Tick[] = [];
    const failure = await failureOf(feed, received);
    expect(received.length).toBe(1);
    expect(isLivegateError(failure, 'ERR_FEED_BAD_TICK')).toBe(true);
    expect(failure).toMatchObject({
      message: `${BAD_TICKS}:4: expected 4 columns, found 3`,
      details: { path: BAD_TICKS, line: 4 },
    });
    expect(badLines).toEqual([]);
    expect(feed.badLines).toBe(1);
  });

  it('fails with ERR_FEED_FAILED, keeping the cause, when the file is missing or unreadable', async () => {
    for (const path of [join(directory, 'missing.csv'), directory]) {
      const failure = await failureOf(new CsvReplayMarketFeed({ path }));
      expect(isLivegateError(failure, 'ERR_FEED_FAILED')).toBe(true);
      expect(failure).toMatchObject({
        message: expect.stringContaining(path) as unknown,
        details: { path },
      });
      expect((failure as Error).cause).toMatchObject({
        code: expect.stringMatching(/ENOENT|EISDIR/) as unknown,
      });
    }
  });

  it('fails with ERR_FEED_FAILED when the header is not the documented one', async () => {
    const path = await csvFile('no-header.csv', '# prices\n1709542800000,EURUSD,1.1,1.2\n');
    const failure = await failureOf(new CsvReplayMarketFeed({ path }));
    expect(isLivegateError(failure, 'ERR_FEED_FAILED')).toBe(true);
    expect(failure).toMatchObject({ details: { path, line: 2 } });
  });

  it('skips blank and comment lines, and reads CRLF endings, a BOM and sizes', async () => {
    const path = await csvFile(
      'windows.csv',
      '\uFEFFTime, Symbol, Bid, Ask, Bid_Size, Ask_Size\r\n\r\n# note\r\n  \r\n1709542800000, EURUSD , 1.1 , 1.2, 5, 6\r\n',
    );
    const { feed, badLines } = reading({ path });
    expect(await collectTicks(feed)).toEqual([
      { symbol: 'EURUSD', bid: 1.1, ask: 1.2, time: 1_709_542_800_000, bidSize: 5, askSize: 6 },
    ]);
    expect(badLines).toEqual([]);
  });

  it('reads ISO-8601 times with offsets, and treats times without one as UTC', async () => {
    const path = await csvFile(
      'iso.csv',
      [
        'time,symbol,bid,ask',
        '2024-03-04,A,1,2',
        '2024-03-04T09:00:00+01:00,A,1,2',
        '2024-03-04 09:00:00.5,A,1,2',
        '2024-03-04T09:00:01.250Z,A,1,2',
        '1709542801250.5,A,1,2',
      ].join('\n'),
    );
    const ticks = await collectTicks(new CsvReplayMarketFeed({ path, strict: true }));
    expect(ticks.map((tick) => tick.time)).toEqual([
      Date.UTC(2024, 2, 4),
      Date.UTC(2024, 2, 4, 8),
      Date.UTC(2024, 2, 4, 9, 0, 0, 500),
      Date.UTC(2024, 2, 4, 9, 0, 1, 250),
      1_709_542_801_250.5,
    ]);
  });

  it('rejects numbers JavaScript would quietly accept: hex, Infinity, empty cells', async () => {
    const path = await csvFile(
      'lenient.csv',
      ['time,symbol,bid,ask', '1,A,0x1,2', '2,A,1,Infinity', '3,A,,2', '4,A,1e-1,2e-1'].join('\n'),
    );
    const { feed, badLines } = reading({ path });
    expect((await collectTicks(feed)).map((tick) => tick.bid)).toEqual([0.1]);
    expect(badLines.map((problem) => problem.line)).toEqual([2, 3, 4]);
  });

  it('yields batches of at most batchSize ticks', async () => {
    const items: TickOrBatch[] = [];
    for await (const item of new CsvReplayMarketFeed({
      path: EXAMPLE_TICKS,
      batchSize: 128,
    }).ticks()) {
      items.push(item);
    }
    expect(items.map((item) => ticksOf(item).length)).toEqual([128, 128, 44]);
  });

  it('replays at the recorded pace scaled by speed', async () => {
    const lines = ['time,symbol,bid,ask'];
    for (let index = 0; index <= 40; index += 1) lines.push(`${1_000 + index * 10},A,1,2`);
    const path = await csvFile('paced.csv', lines.join('\n'));
    const started = performance.now();
    const ticks = await collectTicks(new CsvReplayMarketFeed({ path, speed: 2 }));
    const elapsed = performance.now() - started;
    expect(ticks.length).toBe(41);
    // 400 ms of recorded time at twice the speed: the last tick is due after 200 ms.
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(200 + 1000); // generous: CI machines are noisy; the lower bound is the pacing guarantee
  });

  it('lets a callback see every bad line even when all lines are bad', async () => {
    const path = await csvFile('all-bad.csv', 'time,symbol,bid,ask\nx\ny\n');
    const { feed, badLines } = reading({ path });
    expect(await collectTicks(feed)).toEqual([]);
    expect(badLines.map((problem) => problem.line)).toEqual([2, 3]);
  });

  it.each([
    ['path', { path: '' }],
    ['strict', { path: 'x.csv', strict: 'yes' }],
    ['symbols', { path: 'x.csv', symbols: [] }],
    ['speed', { path: 'x.csv', speed: -1 }],
    ['batchSize', { path: 'x.csv', batchSize: 0 }],
    ['onBadLine', { path: 'x.csv', onBadLine: 'log' }],
    ['colour', { path: 'x.csv', colour: 'red' }],
  ])('rejects a bad "%s" option with ERR_USAGE naming it', (option, options) => {
    expect(() => new CsvReplayMarketFeed(options as unknown as CsvReplayMarketFeedOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_USAGE', details: { option } }),
    );
  });
});

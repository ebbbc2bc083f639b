// The CSV replay feed passes the MarketFeed contract on generated files, flat out and paced.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { CsvReplayMarketFeed } from '../../src/adapters/feeds/csv-replay-market-feed.js';
import { runMarketFeedContract } from './market-feed.contract.js';

let directory = '';
const files = new Map<number, string>();

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'livegate-csv-contract-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A file of `count` quotes 1 ms apart, written once per count. */
async function fileWith(count: number): Promise<string> {
  const existing = files.get(count);
  if (existing !== undefined) return existing;
  const lines = ['time,symbol,bid,ask'];
  for (let index = 0; index < count; index += 1) {
    const bid = (1.1 + (index % 100) / 100_000).toFixed(5);
    const ask = (1.1002 + (index % 100) / 100_000).toFixed(5);
    lines.push(
      `${1_709_542_800_000 + index},${index % 2 === 0 ? 'EURUSD' : 'GBPUSD'},${bid},${ask}`,
    );
  }
  const path = join(directory, `ticks-${count}.csv`);
  await writeFile(path, `${lines.join('\n')}\n`);
  files.set(count, path);
  return path;
}

runMarketFeedContract(
  'CsvReplayMarketFeed',
  async (count) => new CsvReplayMarketFeed({ path: await fileWith(count), strict: true }),
);

// 1 ms apart at 100x speed: 50,000 ticks would take 0.5 s, enough to be closed while pacing.
runMarketFeedContract(
  'CsvReplayMarketFeed (paced at 100x)',
  async (count) => new CsvReplayMarketFeed({ path: await fileWith(count), speed: 100 }),
);

// `benchFixOrderFile()`: what the FIX broker's `.orders` append costs each order on its way out
// (one synchronous write(2) of a JSON line, O_APPEND, no fsync), against the line's JSON alone.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FixOrderFile } from '../src/adapters/fix/fix-order-file.js';
import type { Order } from '../src/core/types.js';
import { formatRow, percentiles } from './bench-stats.js';

const ORDERS = Number(process.env.LIVEGATE_BENCH_ORDER_FILE_ORDERS ?? 50_000);
const WARMUP = 2_000;

function orderAt(index: number): Order {
  return {
    id: `bench-engine-mxbq0a1b-${index}`,
    symbol: 'EURUSD',
    side: index % 2 === 0 ? 'buy' : 'sell',
    quantity: 100_000,
    type: 'limit',
    price: 1.0842,
    tag: 'periodic',
    createdAt: 1_796_528_000_000 + index,
  };
}

function microseconds(run: (index: number) => void, count: number): number[] {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = process.hrtime.bigint();
    run(index);
    samples.push(Number(process.hrtime.bigint() - started) / 1_000);
  }
  return samples;
}

export async function benchFixOrderFile(): Promise<void> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-bench-orders-'));
  const file = new FixOrderFile(path.join(directory, 'fix', 'DESK-VENUE.orders'));
  const clientId = '11e6a7e0a1b2c3d4e5f60718293a4b5c';
  try {
    microseconds((index) => file.record(clientId, orderAt(index)), WARMUP);
    const json = microseconds(
      (index) => JSON.stringify({ clientOrderId: clientId, order: orderAt(index) }),
      ORDERS,
    );
    const append = microseconds((index) => file.record(clientId, orderAt(WARMUP + index)), ORDERS);
    if (file.writeFailure !== undefined) throw new Error(`order file: ${file.writeFailure}`);
    console.log(formatRow('FIX .orders append per order (write(2))', percentiles(append), 'us'));
    console.log(formatRow('  of which the JSON line alone', percentiles(json), 'us'));
    console.log(`  ${ORDERS} orders appended to a file on ${os.tmpdir()}`);
  } finally {
    file.close();
    await rm(directory, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchFixOrderFile();

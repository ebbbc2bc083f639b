// The accept path must not allocate: a million accepted checks, with ticks between them, leave
// the heap where it was and trigger no scavenge.
import { PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { Signal, Tick } from '../../../src/core/types.js';
import { PreTradeRiskEngine } from '../../../src/risk/pre-trade/pre-trade-risk-engine.js';
import {
  AggregateHeadroom,
  AggregateHeadrooms,
} from '../../../src/risk/desk/aggregate-headroom.js';
import { tradingWindowsSchema } from '../../../src/risk/windows/trading-window-options.js';
import { TradingWindows } from '../../../src/risk/windows/trading-windows.js';

const SYMBOLS = [
  { symbol: 'EURUSD', mid: 1.1 },
  { symbol: 'GBPUSD', mid: 1.3 },
  { symbol: 'USDJPY', mid: 150.125 },
] as const;
const VARIANTS = 200;
const ALL_DAY = tradingWindowsSchema.parse({
  default: {
    timeZone: 'UTC',
    days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
    open: '00:00',
    close: '23:00',
  },
});
const gc = (globalThis as { gc?: () => void }).gc;

/** Desk limits as a fresh listing leaves them, far from the orders: the desk check on the accept path. */
function deskLimits(): AggregateHeadrooms {
  const desk = new AggregateHeadroom(
    'desk:fx',
    { dailyLoss: 1e9, grossExposure: 1e13, maxPosition: 1e9 },
    3_000,
  );
  desk.viewedAt = 0;
  desk.staleAt = Number.MAX_SAFE_INTEGER;
  desk.settle();
  desk.restNet = new Map(SYMBOLS.map(({ symbol }) => [symbol, 1_000_000]));
  desk.grossHeadroom = 1e13 - 1e9;
  return new AggregateHeadrooms([desk]);
}

/** Every check enabled, desk limits included, with limits the generated orders stay inside. */
function fullChain(): PreTradeRiskEngine {
  return new PreTradeRiskEngine(
    {
      defaults: { lotSize: 1000, maxOrderNotional: 50_000_000, maxPosition: 10_000_000 },
      symbols: {
        EURUSD: { collarTicks: 5000, maxOrdersPerSecond: 1000 },
        GBPUSD: { maxOrdersPerSecond: 1000 },
        USDJPY: { tickSize: 0.001, maxOrdersPerSecond: 1000 },
      },
      restrictedSymbols: ['XAUUSD'],
      maxGrossExposure: 1e12,
      maxOpenOrders: 100,
      maxOrdersPerSecond: 2000,
      duplicateWindowMs: 5,
    },
    // Open all run long (the checks' times are the first minutes of 1 January 1970, UTC).
    {
      clock: new ManualClock(0),
      windows: new TradingWindows(ALL_DAY),
      aggregates: deskLimits(),
    },
  );
}

/**
 * Market and limit orders of one object shape (`price: undefined` on market orders, as the engine
 * builds its Order). With two shapes, one lacking `price`, V8 boxes the limit price when it reads
 * it (about 32 bytes per limit order); see the module notes of pre-trade-risk-engine.ts.
 */
function signals(): Signal[] {
  const list: Signal[] = [];
  for (let variant = 0; variant < VARIANTS; variant++) {
    for (const { symbol, mid } of SYMBOLS) {
      const limit = variant % 2 === 1;
      list.push({
        symbol,
        side: limit ? 'sell' : 'buy',
        quantity: (variant + 1) * 1000,
        type: limit ? 'limit' : 'market',
        price: limit ? mid : undefined,
      });
    }
  }
  return list;
}

/** Resting orders on both sides of every symbol, one partly filled: the checks read worst cases. */
function withWorkingOrders(chain: PreTradeRiskEngine): PreTradeRiskEngine {
  for (const { symbol, mid } of SYMBOLS) {
    for (const side of ['buy', 'sell'] as const) {
      const id = `working-${symbol}-${side}`;
      const order = { id, symbol, side, quantity: 50_000.5, type: 'limit' as const, price: mid };
      chain.onEvent({
        type: 'OrderSubmitted',
        time: 0,
        engineId: 'test',
        order: { ...order, tag: undefined, createdAt: 0 },
        latencyNs: 0,
        revision: 1,
      });
    }
    const fill = { orderId: `working-${symbol}-buy`, symbol, side: 'buy' as const, price: mid };
    chain.onEvent({
      type: 'OrderFilled',
      time: 0,
      engineId: 'test',
      fill: { ...fill, quantity: 0.25, time: 0 },
      position: 0.25,
    });
  }
  return chain;
}

function quotes(): Tick[] {
  return SYMBOLS.flatMap(({ symbol, mid }) =>
    [0.9999, 1.0001].map((move) => ({ symbol, bid: mid * move, ask: mid * move + 0.002, time: 0 })),
  );
}

/**
 * One tick and one check per millisecond (integer times, which V8 passes without boxing): the same
 * order recurs every 600 ms, past the 5 ms duplicate window, and each bucket keeps up.
 */
function run(
  chain: PreTradeRiskEngine,
  list: readonly Signal[],
  ticks: readonly Tick[],
  count: number,
  start: number,
): number {
  let accepted = 0;
  for (let index = 0; index < count; index++) {
    chain.observeTick(ticks[index % ticks.length]!);
    const position = (index % 7) * 1000;
    if (chain.check(list[index % list.length]!, position, start + index) === null) accepted++;
  }
  return accepted;
}

describe('PreTradeRiskEngine accept path', () => {
  it.skipIf(gc === undefined)(
    '1,000,000 accepted checks with working orders tracked allocate nothing (skipped unless run with NODE_OPTIONS=--expose-gc)',
    async () => {
      const collect = gc!;
      const chain = withWorkingOrders(fullChain());
      const list = signals();
      const ticks = quotes();
      for (const next of ticks) chain.observeTick(next);
      // Warm up until the chain runs optimized: interpreted code boxes doubles, which allocates.
      expect(run(chain, list, ticks, 300_000, 0)).toBe(300_000);
      const collections: number[] = [];
      const observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) collections.push(entry.startTime);
      });
      observer.observe({ entryTypes: ['gc'] });
      collect();
      const before = process.memoryUsage().heapUsed;
      const started = performance.now();
      const accepted = run(chain, list, ticks, 1_000_000, 1_000_000);
      const finished = performance.now();
      const after = process.memoryUsage().heapUsed;
      // GC entries are delivered asynchronously.
      await new Promise((resolve) => setTimeout(resolve, 50));
      observer.disconnect();
      expect(accepted).toBe(1_000_000);
      const during = collections.filter((time) => time >= started && time <= finished).length;
      // Even 16 bytes per check would be 16 MB: scavenges, or that much growth. What remains
      // (a few hundred KiB at most) is V8 compiling the loop, not the checks.
      expect({ scavengesDuring: during, grewUnder1MiB: after - before < 1024 * 1024 }).toEqual({
        scavengesDuring: 0,
        grewUnder1MiB: true,
      });
    },
  );
});

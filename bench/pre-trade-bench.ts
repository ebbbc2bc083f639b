// `benchPreTrade()`: the cost of gate 2's pre-trade chain per order, on the accept and the denial path.

import { ManualClock } from '../src/core/clock.js';
import type { Signal, Tick } from '../src/core/types.js';
import type { PreTradeLimits } from '../src/risk/pre-trade/pre-trade-limits.js';
import { PreTradeRiskEngine } from '../src/risk/pre-trade/pre-trade-risk-engine.js';
import { AggregateHeadroom, AggregateHeadrooms } from '../src/risk/desk/aggregate-headroom.js';
import { tradingWindowsSchema } from '../src/risk/windows/trading-window-options.js';
import { TradingWindows } from '../src/risk/windows/trading-windows.js';
import { formatRow, percentiles } from './bench-stats.js';

const CHECKS = Number(process.env.LIVEGATE_BENCH_PRE_TRADE_CHECKS ?? 2_000_000);
const CHUNK = 200;
const WARMUP = 300_000;
const SINGLES = 200_000;

const SYMBOLS = [
  { symbol: 'EURUSD', mid: 1.0842, tickSize: 0.00001 },
  { symbol: 'GBPUSD', mid: 1.2671, tickSize: 0.00001 },
  { symbol: 'USDJPY', mid: 151.372, tickSize: 0.001 },
] as const;

/** Every check on, at levels a small FX desk might run; the generated orders stay inside them. */
const LIMITS: PreTradeLimits = {
  defaults: {
    lotSize: 1000,
    minQuantity: 1000,
    maxQuantity: 5_000_000,
    maxOrderNotional: 10_000_000,
    maxPosition: 20_000_000,
    collarPercent: 2,
    maxOrdersPerSecond: 1000,
    burst: 50,
  },
  symbols: Object.fromEntries(
    SYMBOLS.map(({ symbol, tickSize }) => [symbol, { tickSize, collarTicks: 2000 }]),
  ),
  restrictedSymbols: ['USDRUB'],
  maxGrossExposure: 500_000_000,
  maxOpenOrders: 200,
  maxOrdersPerSecond: 2000,
  burst: 100,
  duplicateWindowMs: 50,
};

/** A trading window on every symbol, open all the run long (its times are 1 January 1970, UTC). */
const WINDOWS = tradingWindowsSchema.parse({
  default: {
    timeZone: 'America/New_York',
    days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
    open: '17:00',
    close: '16:00',
  },
});

/**
 * Desk limits as DeskView leaves them after a listing: the rest of the desk holds positions and
 * exposure well inside the limits, and its view never goes stale during the run.
 */
function deskHeadrooms(): AggregateHeadrooms {
  const desk = new AggregateHeadroom(
    'desk:fx',
    {
      dailyLoss: 500_000,
      drawdown: 800_000,
      grossExposure: 2_000_000_000,
      maxPosition: 60_000_000,
    },
    3_000,
  );
  desk.viewedAt = 0;
  desk.staleAt = Number.MAX_SAFE_INTEGER;
  desk.settle();
  desk.restNet = new Map(SYMBOLS.map(({ symbol }) => [symbol, 5_000_000]));
  desk.restGross = 300_000_000;
  desk.grossHeadroom = 2_000_000_000 - 300_000_000;
  return new AggregateHeadrooms([desk]);
}

/**
 * 600 distinct orders, half market and half limit, in one object shape: V8 boxes the price of a
 * limit order read through a site that also sees signals without a `price` key.
 */
function acceptedSignals(): Signal[] {
  const list: Signal[] = [];
  for (let variant = 0; variant < 200; variant++) {
    for (const { symbol, mid, tickSize } of SYMBOLS) {
      const limit = variant % 2 === 1;
      const offset = ((variant % 40) - 20) * 10 * tickSize;
      list.push({
        symbol,
        side: variant % 4 < 2 ? 'buy' : 'sell',
        quantity: (1 + (variant % 50)) * 1000,
        type: limit ? 'limit' : 'market',
        price: limit ? Math.round((mid + offset) / tickSize) * tickSize : undefined,
      });
    }
  }
  return list;
}

function quotesAround(): Tick[] {
  return SYMBOLS.flatMap(({ symbol, mid, tickSize }) =>
    [-3, 0, 3].map((step) => {
      const bid = mid + step * tickSize;
      return { symbol, bid, ask: bid + 2 * tickSize, time: 0 };
    }),
  );
}

/** Resting orders per symbol and side while the checks run: the accept path reads them. */
const WORKING_PER_SIDE = 2;

/**
 * Builds a chain as mid-session: marks, positions, and working orders on both sides of every
 * symbol (one of them partly filled), so position and gross exposure use worst cases.
 */
function midSessionChain(limits: PreTradeLimits, ticks: readonly Tick[]): PreTradeRiskEngine {
  const chain = new PreTradeRiskEngine(limits, {
    clock: new ManualClock(0),
    windows: new TradingWindows(WINDOWS),
    // LIVEGATE_BENCH_DESK=off: an engine without desk limits, which should pay nothing for them.
    ...(process.env.LIVEGATE_BENCH_DESK === 'off' ? {} : { aggregates: deskHeadrooms() }),
  });
  for (const tick of ticks) chain.observeTick(tick);
  for (const [index, { symbol, mid }] of SYMBOLS.entries()) {
    for (let number = 0; number < WORKING_PER_SIDE; number++) {
      for (const side of ['buy', 'sell'] as const) {
        const order = {
          id: `working-${symbol}-${side}-${number}`,
          symbol,
          side,
          quantity: 50_000,
          type: 'limit' as const,
          price: mid,
          tag: undefined,
          createdAt: 0,
        };
        chain.onEvent({
          type: 'OrderSubmitted',
          time: 0,
          engineId: 'bench',
          order,
          latencyNs: 0,
          revision: 1,
        });
      }
    }
    chain.onEvent({
      type: 'OrderFilled',
      time: 0,
      engineId: 'bench',
      fill: {
        orderId: `working-${symbol}-buy-0`,
        symbol,
        side: 'buy',
        quantity: 10_000,
        price: mid,
        time: 0,
      },
      position: (index + 1) * 1_000_000,
    });
  }
  return chain;
}

interface Workload {
  readonly chain: PreTradeRiskEngine;
  readonly signals: readonly Signal[];
  readonly ticks: readonly Tick[];
  /** Integer milliseconds: V8 passes small integers without boxing them on the heap. */
  now: number;
}

/**
 * Runs `count` checks in chunks of CHUNK, one tick before each chunk (outside the timing), and
 * returns the mean cost per check of each chunk in ns, plus how many checks were accepted.
 */
function chunked(work: Workload, count: number): { samples: number[]; accepted: number } {
  const samples: number[] = [];
  const { chain, signals, ticks } = work;
  let accepted = 0;
  let next = 0;
  for (let done = 0; done < count; done += CHUNK) {
    chain.observeTick(ticks[(done / CHUNK) % ticks.length]!);
    const started = performance.now();
    for (let index = 0; index < CHUNK; index++) {
      const signal = signals[next]!;
      next = next + 1 === signals.length ? 0 : next + 1;
      if (chain.check(signal, 0, work.now++) === null) accepted++;
    }
    samples.push(((performance.now() - started) * 1e6) / CHUNK);
  }
  return { samples, accepted };
}

/** One check per timing, so the tail of a single order shows; includes the timer's own cost. */
function singles(work: Workload, count: number): number[] {
  const samples = new Float64Array(count);
  const { chain, signals } = work;
  for (let index = 0; index < count; index++) {
    const signal = signals[index % signals.length]!;
    const started = performance.now();
    chain.check(signal, 0, work.now++);
    samples[index] = (performance.now() - started) * 1e6;
  }
  return Array.from(samples);
}

/** Mean cost of observeTick per tick, in chunks, cycling through the quotes. */
function tickCost(chain: PreTradeRiskEngine, ticks: readonly Tick[], count: number): number[] {
  const samples: number[] = [];
  let next = 0;
  for (let done = 0; done < count; done += CHUNK) {
    const started = performance.now();
    for (let index = 0; index < CHUNK; index++) {
      chain.observeTick(ticks[next]!);
      next = next + 1 === ticks.length ? 0 : next + 1;
    }
    samples.push(((performance.now() - started) * 1e6) / CHUNK);
  }
  return samples;
}

function timerFloor(count: number): number[] {
  const samples = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    samples[index] = (performance.now() - started) * 1e6;
  }
  return Array.from(samples);
}

function expectAll(label: string, accepted: number, expected: number): void {
  if (accepted !== expected) {
    throw new Error(`${label}: ${accepted} of ${expected} checks accepted, the workload is wrong`);
  }
}

function denialWorkload(limits: PreTradeLimits, signals: Signal[], ticks: Tick[]): Workload {
  return { chain: midSessionChain(limits, ticks), signals, ticks, now: 0 };
}

/** Lets pending callbacks run, so they do not land inside a timed phase. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function benchPreTrade(): Promise<void> {
  const ticks = quotesAround();
  const signals = acceptedSignals();
  const accept: Workload = { chain: midSessionChain(LIMITS, ticks), signals, ticks, now: 0 };
  expectAll('warm-up', chunked(accept, WARMUP).accepted, WARMUP);
  await settle();
  const accepted = chunked(accept, CHECKS);
  expectAll('accept path', accepted.accepted, CHECKS);
  await settle();
  const single = singles(accept, SINGLES);
  const floor = timerFloor(SINGLES);
  tickCost(accept.chain, ticks, WARMUP);
  const tick = tickCost(accept.chain, ticks, CHECKS / 4);
  // Restricted: the first check denies. Gross exposure: every other check passes first.
  const restricted = signals.map((signal) => ({ ...signal, symbol: 'USDRUB' }));
  const early = denialWorkload(LIMITS, restricted, ticks);
  const late = denialWorkload({ ...LIMITS, maxGrossExposure: 1_000_000 }, signals, ticks);
  for (const work of [early, late]) expectAll('deny warm-up', chunked(work, WARMUP).accepted, 0);
  await settle();
  const deniedEarly = chunked(early, CHECKS / 4);
  const deniedLate = chunked(late, CHECKS / 4);
  expectAll('early denial path', deniedEarly.accepted, 0);
  expectAll('late denial path', deniedLate.accepted, 0);
  console.log(
    `pre-trade chain (gate 2): 3 symbols, every check on (a trading window and desk limits included), ${SYMBOLS.length * WORKING_PER_SIDE * 2} working orders tracked, ${CHECKS.toLocaleString('en-US')} accepted checks`,
  );
  const row = (label: string, samples: readonly number[]): void =>
    console.log(formatRow(label, percentiles(samples), 'ns', 1));
  row(`  accept (mean of ${CHUNK}-check chunks)`, accepted.samples);
  row('  accept (one check per timing)', single);
  row('    timer alone (subtract from the above)', floor);
  row('  deny first: RESTRICTED_SYMBOL', deniedEarly.samples);
  row('  deny last: MAX_GROSS_EXPOSURE_EXCEEDED', deniedLate.samples);
  row(`  observeTick (mean of ${CHUNK}-tick chunks)`, tick);
}

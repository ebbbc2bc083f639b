// Seeded random-walk quotes, paced or flat out: the TypeScript twin of the original mock_tick_generator.

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { systemClock, type Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import type { MarketFeed, TickOrBatch } from '../../core/ports.js';
import type { Tick } from '../../core/types.js';
import { InterruptibleSleep } from './interruptible-sleep.js';
import { feedOptionError } from './feed-option-error.js';

export interface SyntheticMarketFeedOptions {
  /** Ticks to produce; 0 or Infinity means endless. Default 0. */
  readonly count?: number;
  /** Symbols, served round-robin, each with its own walk. Default ['EURUSD']. */
  readonly symbols?: readonly string[];
  /** Same seed, same prices. Default 42. */
  readonly seed?: number;
  /** Ticks per second; 0 means as fast as the consumer takes them. Default 0. */
  readonly rate?: number;
  /** Most ticks per yielded batch. Default 256 unpaced; paced mode yields what is due, up to 4096. */
  readonly batchSize?: number;
  /** First mid price of every symbol. Default: realistic per symbol (SYNTHETIC_START_QUOTES), else 1.1. */
  readonly startPrice?: number;
  /** Ask minus bid, in price units. Default: realistic per symbol (2 pips), else 0.0002. */
  readonly spread?: number;
  /** Largest relative move of the mid per tick (0.0001 = 1 basis point). Default 0.0001. */
  readonly volatility?: number;
  /** Epoch ms of the first tick. Default: the clock's time when iteration starts. */
  readonly startTime?: number;
  readonly clock?: Clock;
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'count',
  'symbols',
  'seed',
  'rate',
  'batchSize',
  'startPrice',
  'spread',
  'volatility',
  'startTime',
  'clock',
]);
const UNPACED_BATCH_SIZE = 256;
const PACED_BATCH_LIMIT = 4096;
/** Longest stretch of real time an unpaced iteration keeps the event loop to itself. */
const EVENT_LOOP_HOP_MS = 1;
/** Prices carry five decimals, like most FX quotes; one unit of the fifth decimal. */
const PRICE_STEP = 0.00001;

/**
 * Where the default symbols start when no startPrice is given: near their real levels, so sums in
 * an account currency (and anything else that compares symbols) see realistic magnitudes.
 */
export const SYNTHETIC_START_QUOTES: Readonly<Record<string, { price: number; spread: number }>> =
  Object.freeze({
    EURUSD: { price: 1.08, spread: 0.0002 },
    GBPUSD: { price: 1.27, spread: 0.0002 },
    USDJPY: { price: 150, spread: 0.02 },
  });
const FALLBACK_START = { price: 1.1, spread: 0.0002 };

function roundPrice(price: number): number {
  return Math.round(price * 100_000) / 100_000;
}

/** mulberry32: tiny, fast and good enough for test prices; the same seed gives the same stream. */
class SeededRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let value = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  }
}

/** One pass over the tick sequence; each `ticks()` call starts a fresh, identical one. */
class RandomWalk {
  private readonly random: SeededRandom;
  private readonly mids: Float64Array;
  private index = 0;

  constructor(
    private readonly symbols: readonly string[],
    seed: number,
    startPrices: readonly number[],
    private readonly spreads: readonly number[],
    private readonly volatility: number,
    private readonly startTime: number,
    private readonly interval: number,
  ) {
    this.random = new SeededRandom(seed);
    this.mids = Float64Array.from(startPrices);
  }

  next(): Tick {
    const slot = this.index % this.symbols.length;
    const step = (this.random.next() * 2 - 1) * this.volatility;
    // A floor keeps the bid positive however long the walk runs downhill.
    const spread = this.spreads[slot] ?? 0;
    const mid = Math.max((this.mids[slot] ?? 0) * (1 + step), spread + PRICE_STEP);
    this.mids[slot] = mid;
    const bid = roundPrice(mid - spread / 2);
    const roundedAsk = roundPrice(mid + spread / 2);
    const ask = roundedAsk > bid ? roundedAsk : roundPrice(bid + PRICE_STEP);
    const time = this.startTime + this.index * this.interval;
    this.index += 1;
    return { symbol: this.symbols[slot] ?? '', bid, ask, time };
  }

  batch(size: number): Tick[] {
    const ticks = new Array<Tick>(size);
    for (let position = 0; position < size; position += 1) ticks[position] = this.next();
    return ticks;
  }
}

export class SyntheticMarketFeed implements MarketFeed {
  readonly name = 'synthetic';
  private readonly count: number;
  private readonly symbols: readonly string[];
  private readonly seed: number;
  private readonly rate: number;
  private readonly batchSize: number;
  /** Per symbol, in the order of `symbols`. */
  private readonly startPrices: readonly number[];
  private readonly spreads: readonly number[];
  private readonly volatility: number;
  private readonly startTime: number | undefined;
  private readonly clock: Clock;
  private closed = false;
  /** Wakes every paced iteration that is sleeping, so close() ends them at once. */
  private readonly sleeper = new InterruptibleSleep();

  constructor(options: SyntheticMarketFeedOptions = {}) {
    for (const key of Object.keys(options)) {
      if (!OPTION_NAMES.has(key)) throw usageError(key, 'is not a known option');
    }
    const count = options.count ?? 0;
    this.count = count === 0 ? Infinity : count;
    if (!(count === Infinity || (Number.isInteger(count) && count >= 0))) {
      throw usageError('count', 'must be a non-negative integer or Infinity', count);
    }
    this.symbols = checkSymbols(options.symbols ?? ['EURUSD']);
    this.seed = options.seed ?? 42;
    if (!Number.isInteger(this.seed)) throw usageError('seed', 'must be an integer', this.seed);
    this.rate = checkNumber('rate', options.rate ?? 0, 0, false);
    const defaultBatch = this.rate === 0 ? UNPACED_BATCH_SIZE : PACED_BATCH_LIMIT;
    this.batchSize = options.batchSize ?? defaultBatch;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw usageError('batchSize', 'must be a positive integer', this.batchSize);
    }
    if (options.startPrice !== undefined) checkNumber('startPrice', options.startPrice, 0, true);
    if (options.spread !== undefined) checkNumber('spread', options.spread, 0, true);
    const starts = this.symbols.map((symbol) => SYNTHETIC_START_QUOTES[symbol] ?? FALLBACK_START);
    this.startPrices = starts.map((start) => options.startPrice ?? start.price);
    this.spreads = starts.map((start) => options.spread ?? start.spread);
    this.startPrices.forEach((price, slot) => {
      const spread = this.spreads[slot] ?? 0;
      if (spread >= price) {
        throw usageError('spread', `must be below startPrice (${price})`, spread);
      }
    });
    this.volatility = checkNumber('volatility', options.volatility ?? 0.0001, 0, false);
    if (this.volatility >= 1) throw usageError('volatility', 'must be below 1', this.volatility);
    this.startTime = options.startTime;
    if (this.startTime !== undefined) checkNumber('startTime', this.startTime, 0, false);
    this.clock = options.clock ?? systemClock;
  }

  async *ticks(): AsyncGenerator<TickOrBatch, void, undefined> {
    const interval = this.rate === 0 ? 1 : 1000 / this.rate;
    const startTime = this.startTime ?? this.clock.now();
    const walk = new RandomWalk(
      this.symbols,
      this.seed,
      this.startPrices,
      this.spreads,
      this.volatility,
      startTime,
      interval,
    );
    const startedAt = this.clock.monotonic();
    let emitted = 0;
    let lastHop = performance.now();
    while (!this.closed && emitted < this.count) {
      const due = this.rate === 0 ? this.count - emitted : this.dueSince(startedAt) - emitted;
      if (due <= 0) {
        // Sleep until the next tick is due; the due count comes from elapsed time, so no drift.
        await this.sleeper.sleep(startedAt + emitted * interval - this.clock.monotonic());
        lastHop = performance.now();
        continue;
      }
      const size = Math.min(due, this.batchSize);
      yield size === 1 ? walk.next() : walk.batch(size);
      emitted += size;
      // A generator that never leaves the microtask queue would starve timers and I/O, the
      // kill-switch watcher among them. Hop through the event loop at least once a millisecond of
      // real time (not the injected clock: this is about CPU, not market time); hopping on every
      // batch would cost about a third of the unpaced throughput.
      if (performance.now() - lastHop >= EVENT_LOOP_HOP_MS) {
        await nextMacrotask();
        lastHop = performance.now();
      }
    }
  }

  /** Ticks due by now in paced mode: the first one is due at once. */
  private dueSince(startedAt: number): number {
    const elapsed = this.clock.monotonic() - startedAt;
    return Math.min(this.count, Math.floor((elapsed * this.rate) / 1000) + 1);
  }

  close(): Promise<void> {
    this.closed = true;
    this.sleeper.wakeAll();
    return Promise.resolve();
  }
}

/**
 * The twin of `mock_tick_generator(count=100)`: one tick at a time, 100 by default.
 * `for await (const tick of syntheticTicks()) ...`
 */
export async function* syntheticTicks(
  options: SyntheticMarketFeedOptions = {},
): AsyncGenerator<Tick, void, undefined> {
  const feed = new SyntheticMarketFeed({ count: 100, ...options });
  try {
    for await (const item of feed.ticks()) {
      if (Array.isArray(item)) yield* item as readonly Tick[];
      else yield item as Tick;
    }
  } finally {
    await feed.close();
  }
}

function usageError(option: string, problem: string, value?: unknown): LivegateError {
  return feedOptionError('SyntheticMarketFeed', option, problem, value);
}

function checkNumber(option: string, value: unknown, minimum: number, exclusive: boolean): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (exclusive ? value > minimum : value >= minimum);
  if (!ok) {
    throw usageError(option, `must be a finite number ${exclusive ? '>' : '>='} ${minimum}`, value);
  }
  return value;
}

function checkSymbols(symbols: unknown): readonly string[] {
  const ok =
    Array.isArray(symbols) &&
    symbols.length > 0 &&
    symbols.every((symbol) => typeof symbol === 'string' && symbol.length > 0) &&
    new Set(symbols).size === symbols.length;
  if (!ok)
    throw usageError('symbols', 'must be a non-empty list of distinct, non-empty strings', symbols);
  return Object.freeze([...(symbols as string[])]);
}

// Replays recorded quotes from a CSV file, streamed line by line, flat out or at the recorded pace.
//
// Format (see docs/feeds.md):
//   time,symbol,bid,ask               header, required, optionally extended with ,bid_size,ask_size
//   2024-03-04T09:00:00.125Z,EURUSD,1.08412,1.08414
//   1709542800250,GBPUSD,1.26801,1.26805
// `time` is epoch milliseconds or ISO-8601 (no offset means UTC). Blank lines and lines starting
// with `#` are ignored. A bad line is reported through `onBadLine` and skipped, or with
// `strict: true` ends the replay with ERR_FEED_BAD_TICK naming file:line.

import { createReadStream } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { systemClock, type Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import type { MarketFeed, TickOrBatch } from '../../core/ports.js';
import type { Tick } from '../../core/types.js';
import { validateTick } from './tick-validation.js';
import { InterruptibleSleep } from './interruptible-sleep.js';
import { feedOptionError } from './feed-option-error.js';

export interface CsvBadLine {
  readonly path: string;
  /** 1-based, counting every line of the file including the header, blanks and comments. */
  readonly line: number;
  readonly message: string;
  readonly text: string;
}

export interface CsvReplayMarketFeedOptions {
  readonly path: string;
  /** Throw ERR_FEED_BAD_TICK on the first bad line instead of skipping it. Default false. */
  readonly strict?: boolean;
  /** When given, every other symbol is a bad line. */
  readonly symbols?: readonly string[];
  /** 0 = as fast as possible (default), 1 = recorded pace, 2 = twice as fast. */
  readonly speed?: number;
  /** Most ticks per yielded batch. Default 256. */
  readonly batchSize?: number;
  /** Called for each skipped line (not in strict mode, where the error says it all). */
  readonly onBadLine?: (problem: CsvBadLine) => void;
  /** Paces replay when speed > 0. */
  readonly clock?: Clock;
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'path',
  'strict',
  'symbols',
  'speed',
  'batchSize',
  'onBadLine',
  'clock',
]);
const HEADER = ['time', 'symbol', 'bid', 'ask'];
const HEADER_WITH_SIZES = [...HEADER, 'bid_size', 'ask_size'];
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const EPOCH_MILLISECONDS = /^\d+(?:\.\d+)?$/;
const ISO_8601 =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

export class CsvReplayMarketFeed implements MarketFeed {
  readonly name: string;
  private readonly path: string;
  private readonly strict: boolean;
  private readonly knownSymbols: ReadonlySet<string> | undefined;
  private readonly speed: number;
  private readonly batchSize: number;
  private readonly onBadLine: ((problem: CsvBadLine) => void) | undefined;
  private readonly clock: Clock;
  private badLineCount = 0;
  private closed = false;
  private readonly openReaders = new Set<Interface>();
  private readonly sleeper = new InterruptibleSleep();

  constructor(options: CsvReplayMarketFeedOptions) {
    for (const key of Object.keys(options)) {
      if (!OPTION_NAMES.has(key)) throw usageError(key, 'is not a known option');
    }
    const { path, strict = false, symbols, speed = 0, batchSize = 256, onBadLine } = options;
    if (typeof path !== 'string' || path.length === 0) {
      throw usageError('path', 'must be a non-empty file path', path);
    }
    if (typeof strict !== 'boolean') throw usageError('strict', 'must be true or false', strict);
    if (symbols !== undefined) checkSymbols(symbols);
    if (typeof speed !== 'number' || !Number.isFinite(speed) || speed < 0) {
      throw usageError('speed', 'must be a finite number >= 0', speed);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw usageError('batchSize', 'must be a positive integer', batchSize);
    }
    if (onBadLine !== undefined && typeof onBadLine !== 'function') {
      throw usageError('onBadLine', 'must be a function');
    }
    this.name = `csv:${path}`;
    this.path = path;
    this.strict = strict;
    this.knownSymbols = symbols === undefined ? undefined : new Set(symbols);
    this.speed = speed;
    this.batchSize = batchSize;
    this.onBadLine = onBadLine;
    this.clock = options.clock ?? systemClock;
  }

  /** Lines skipped (or, in strict mode, the one that stopped the replay) in the latest pass. */
  get badLines(): number {
    return this.badLineCount;
  }

  async *ticks(): AsyncGenerator<TickOrBatch, void, undefined> {
    this.badLineCount = 0;
    const parser = new CsvTickParser(this.path, this.knownSymbols);
    const pacer = this.speed > 0 ? new ReplayPacer(this.speed, this.clock) : undefined;
    let batch: Tick[] = [];
    let lineNumber = 0;
    for await (const text of this.readLines()) {
      lineNumber += 1;
      if (this.closed) return;
      const parsed = parser.parse(text, lineNumber);
      if (parsed === null) continue;
      if (typeof parsed === 'string') {
        const error = this.reportBadLine(lineNumber, parsed, text);
        if (error === undefined) continue;
        // Ticks before the bad line were good: deliver them, then stop.
        if (batch.length > 0) yield asChunk(batch);
        throw error;
      }
      const wait = pacer === undefined ? 0 : pacer.millisecondsUntil(parsed.time);
      if (wait > 0) {
        if (batch.length > 0) yield asChunk(batch);
        batch = [];
        await this.sleeper.sleep(wait);
        if (this.closed) return;
      }
      batch.push(parsed);
      if (batch.length >= this.batchSize) {
        yield asChunk(batch);
        batch = [];
      }
    }
    if (batch.length > 0 && !this.closed) yield asChunk(batch);
  }

  close(): Promise<void> {
    this.closed = true;
    for (const reader of this.openReaders) reader.close();
    this.sleeper.wakeAll();
    return Promise.resolve();
  }

  private async *readLines(): AsyncGenerator<string, void, undefined> {
    if (this.closed) return;
    const input = createReadStream(this.path);
    const reader = createInterface({ input, crlfDelay: Infinity });
    this.openReaders.add(reader);
    try {
      yield* reader;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new LivegateError(
        'ERR_FEED_FAILED',
        `cannot read market data file ${this.path}: ${reason}`,
        {
          cause: error,
          details: { path: this.path },
        },
      );
    } finally {
      this.openReaders.delete(reader);
      reader.close();
      input.destroy();
    }
  }

  /** Returns the error to throw in strict mode; otherwise reports the line and returns undefined. */
  private reportBadLine(line: number, message: string, text: string): LivegateError | undefined {
    this.badLineCount += 1;
    if (this.strict) {
      return new LivegateError('ERR_FEED_BAD_TICK', `${this.path}:${line}: ${message}`, {
        details: { path: this.path, line },
      });
    }
    this.onBadLine?.({ path: this.path, line, message, text });
    return undefined;
  }
}

/** Turns lines into ticks; keeps the header layout and the last accepted time between lines. */
class CsvTickParser {
  private columnCount = 0;
  private previousTime = -Infinity;

  constructor(
    private readonly path: string,
    private readonly knownSymbols: ReadonlySet<string> | undefined,
  ) {}

  /** A tick, a problem description, or null for lines that carry no tick. */
  parse(rawText: string, lineNumber: number): Tick | string | null {
    const text = lineNumber === 1 ? rawText.replace(/^\uFEFF/, '') : rawText;
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return null;
    if (this.columnCount === 0) {
      this.columnCount = this.parseHeader(trimmed, lineNumber);
      return null;
    }
    const cells = trimmed.split(',').map((cell) => cell.trim());
    if (cells.length !== this.columnCount) {
      return `expected ${this.columnCount} columns, found ${cells.length}`;
    }
    const tick = this.toTick(cells);
    if (typeof tick === 'string') return tick;
    const problem = validateTick(tick, this.knownSymbols);
    if (problem !== null) return problem;
    if (tick.time < this.previousTime) {
      return `time goes backwards: ${new Date(tick.time).toISOString()} is before the previous tick's ${new Date(this.previousTime).toISOString()}`;
    }
    this.previousTime = tick.time;
    return tick;
  }

  private parseHeader(text: string, lineNumber: number): number {
    const names = text.split(',').map((name) => name.trim().toLowerCase());
    const matches = (expected: string[]): boolean =>
      names.length === expected.length && expected.every((name, index) => names[index] === name);
    if (matches(HEADER)) return HEADER.length;
    if (matches(HEADER_WITH_SIZES)) return HEADER_WITH_SIZES.length;
    throw new LivegateError(
      'ERR_FEED_FAILED',
      `${this.path}:${lineNumber}: expected the header "${HEADER.join(',')}" or "${HEADER_WITH_SIZES.join(',')}", found "${text}"`,
      { details: { path: this.path, line: lineNumber } },
    );
  }

  private toTick(cells: string[]): Tick | string {
    const [timeText = '', symbol = '', bidText = '', askText = ''] = cells;
    const time = parseTime(timeText);
    if (time === undefined) return `time "${timeText}" is neither epoch milliseconds nor ISO-8601`;
    const bid = parseDecimal(bidText);
    if (bid === undefined) return `bid "${bidText}" is not a number`;
    const ask = parseDecimal(askText);
    if (ask === undefined) return `ask "${askText}" is not a number`;
    if (cells.length === HEADER.length) return { symbol, bid, ask, time };
    const [, , , , bidSizeText = '', askSizeText = ''] = cells;
    const bidSize = parseDecimal(bidSizeText);
    if (bidSize === undefined) return `bid_size "${bidSizeText}" is not a number`;
    const askSize = parseDecimal(askSizeText);
    if (askSize === undefined) return `ask_size "${askSizeText}" is not a number`;
    return { symbol, bid, ask, time, bidSize, askSize };
  }
}

/** Maps recorded times onto the monotonic clock: tick k is due (time_k - time_0) / speed after the first. */
class ReplayPacer {
  private firstTime: number | undefined;
  private startedAt = 0;

  constructor(
    private readonly speed: number,
    private readonly clock: Clock,
  ) {}

  millisecondsUntil(time: number): number {
    if (this.firstTime === undefined) {
      this.firstTime = time;
      this.startedAt = this.clock.monotonic();
      return 0;
    }
    return this.startedAt + (time - this.firstTime) / this.speed - this.clock.monotonic();
  }
}

function parseDecimal(text: string): number | undefined {
  // Number() alone would accept '', '0x1f' and 'Infinity'; market data should contain none of them.
  return DECIMAL.test(text) ? Number(text) : undefined;
}

function parseTime(text: string): number | undefined {
  if (EPOCH_MILLISECONDS.test(text)) return Number(text);
  const match = ISO_8601.exec(text);
  if (match === null) return undefined;
  const [, date, time, zone] = match;
  // Date.parse reads an offset-less date-time as local time; recorded data must not depend on TZ.
  const normalised = time === undefined ? `${date}` : `${date}T${time}${zone ?? 'Z'}`;
  const parsed = Date.parse(normalised);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function asChunk(batch: Tick[]): TickOrBatch {
  return batch.length === 1 ? (batch[0] as Tick) : batch;
}

function checkSymbols(symbols: unknown): void {
  const ok =
    Array.isArray(symbols) &&
    symbols.length > 0 &&
    symbols.every((symbol) => typeof symbol === 'string' && symbol.length > 0);
  if (!ok) throw usageError('symbols', 'must be a non-empty list of non-empty strings', symbols);
}

function usageError(option: string, problem: string, value?: unknown): LivegateError {
  return feedOptionError('CsvReplayMarketFeed', option, problem, value);
}

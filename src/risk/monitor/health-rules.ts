// Rules on the engine's health: strategy failing in a row, a silent feed, a blocked event loop.

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { RiskAction } from '../../core/risk-snapshot.js';
import { brief, type RiskRule } from './risk-rule.js';

/** Takes the engine's own consecutive count from StrategyFailed; any submitted order proves a success. */
export class StrategyErrorsRule implements RiskRule {
  readonly name = 'strategyErrors';
  readonly action: RiskAction;
  readonly threshold: number;
  private consecutive = 0;
  private lastMessage = '';

  constructor(options: { readonly action: RiskAction; readonly limit: number }) {
    this.action = options.action;
    this.threshold = options.limit;
  }

  recordFailure(consecutiveErrors: number, message: string): void {
    this.consecutive = consecutiveErrors;
    this.lastMessage = message;
  }

  recordSuccess(): void {
    this.consecutive = 0;
  }

  measure(): number {
    return this.consecutive;
  }

  breached(count: number): boolean {
    return count >= this.threshold;
  }

  describe(count: number): string {
    return `strategyErrors: ${count} consecutive strategy errors breached limit ${this.threshold}, last: ${this.lastMessage}`;
  }
}

/** Time since the last tick, overall or for the stalest symbol seen so far (monotonic ms). */
export class StaleFeedRule implements RiskRule {
  readonly name = 'staleFeed';
  readonly action: RiskAction;
  readonly threshold: number;
  readonly perSymbol: boolean;
  private lastTickAt: number;
  private readonly slotBySymbol = new Map<string, number>();
  private readonly symbols: string[] = [];
  private lastTickAtBySlot = new Float64Array(16);
  private stalest: string | undefined;

  constructor(
    options: { readonly action: RiskAction; readonly limitMs: number; readonly perSymbol: boolean },
    now: number,
  ) {
    this.action = options.action;
    this.threshold = options.limitMs;
    this.perSymbol = options.perSymbol;
    this.lastTickAt = now;
  }

  /** A run starting counts as a tick: the wait for the feed to connect is not staleness. */
  restart(now: number): void {
    this.lastTickAt = now;
    this.lastTickAtBySlot.fill(now, 0, this.symbols.length);
  }

  /** Hot path: a field write, plus one map lookup per tick when tracking symbols. */
  observeTick(symbol: string, now: number): void {
    this.lastTickAt = now;
    if (!this.perSymbol) return;
    const slot = this.slotBySymbol.get(symbol) ?? this.addSymbol(symbol);
    this.lastTickAtBySlot[slot] = now;
  }

  measure(now: number): number {
    this.stalest = undefined;
    if (!this.perSymbol || this.symbols.length === 0) return now - this.lastTickAt;
    let oldest = Infinity;
    for (let slot = 0; slot < this.symbols.length; slot++) {
      const at = this.lastTickAtBySlot[slot]!;
      if (at < oldest) {
        oldest = at;
        this.stalest = this.symbols[slot];
      }
    }
    return now - oldest;
  }

  breached(ageMs: number): boolean {
    return ageMs >= this.threshold;
  }

  describe(ageMs: number): string {
    const what = this.stalest === undefined ? 'tick' : `${this.stalest} tick`;
    return `staleFeed: no ${what} for ${brief(ageMs)} ms breached limit ${this.threshold} ms`;
  }

  private addSymbol(symbol: string): number {
    const slot = this.symbols.length;
    if (slot === this.lastTickAtBySlot.length) {
      const grown = new Float64Array(slot * 2);
      grown.set(this.lastTickAtBySlot);
      this.lastTickAtBySlot = grown;
    }
    this.symbols.push(symbol);
    this.slotBySymbol.set(symbol, slot);
    return slot;
  }
}

/** Reset on a rotation so that one of them always holds a stall; see measure(). */
const HISTOGRAM_COUNT = 3;

/** Longest event-loop delay over the last few evaluation intervals, in ms beyond the sampling period. */
export class EventLoopStallRule implements RiskRule {
  readonly name = 'eventLoopStall';
  readonly action: RiskAction;
  readonly threshold: number;
  private readonly resolutionMs: number;
  private histograms: IntervalHistogram[] | undefined;
  private resetNext = 0;

  /** The sampling period stays under half the evaluation interval, so each histogram has a baseline. */
  constructor(
    options: { readonly action: RiskAction; readonly limitMs: number },
    evaluationIntervalMs: number,
  ) {
    this.action = options.action;
    this.threshold = options.limitMs;
    const finest = Math.min(10, options.limitMs / 2, evaluationIntervalMs / 2);
    this.resolutionMs = Math.max(1, Math.floor(finest));
  }

  start(): void {
    const resolution = this.resolutionMs;
    this.histograms ??= Array.from({ length: HISTOGRAM_COUNT }, () =>
      monitorEventLoopDelay({ resolution }),
    );
    for (const histogram of this.histograms) {
      // A restart must not count the time spent stopped as one long delay.
      histogram.reset();
      histogram.enable();
    }
  }

  stop(): void {
    for (const histogram of this.histograms ?? []) histogram.disable();
  }

  /**
   * reset() also forgets the histogram's previous sample, so a histogram reset just before a stall
   * never records it, nor does one reset after the stall but before its own timer callback ran (the
   * evaluation timer may fire first). Resetting one of three per evaluation leaves one that was
   * reset neither just before nor just after, and it is read at the following evaluation.
   */
  measure(): number {
    if (this.histograms === undefined) return 0;
    let maxNs = 0;
    for (const histogram of this.histograms) maxNs = Math.max(maxNs, histogram.max);
    this.histograms[this.resetNext]!.reset();
    this.resetNext = (this.resetNext + 1) % HISTOGRAM_COUNT;
    // A sample is the whole period between two timer callbacks: the delay is the excess.
    return Math.max(0, maxNs / 1e6 - this.resolutionMs);
  }

  breached(delayMs: number): boolean {
    return delayMs > this.threshold;
  }

  describe(delayMs: number): string {
    return `eventLoopStall: event loop blocked ${brief(delayMs)} ms exceeds limit ${this.threshold} ms`;
  }
}

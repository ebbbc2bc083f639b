// Rules on the order flow over sliding windows: runaway submit rate, reject ratio, p99 latency.

import type { RiskAction } from '../../core/risk-snapshot.js';
import { brief, type RiskRule } from './risk-rule.js';
import { SlidingWindow } from './sliding-window.js';

interface WindowOptions {
  readonly action: RiskAction;
  readonly limit: number;
  readonly windowMs: number;
}

/** Counts OrderSubmitted; more than `limit` in the window is a runaway strategy. */
export class OrderRateRule implements RiskRule {
  readonly name = 'orderRate';
  readonly action: RiskAction;
  readonly threshold: number;
  private readonly submitted: SlidingWindow;

  constructor(options: WindowOptions) {
    this.action = options.action;
    this.threshold = options.limit;
    this.submitted = new SlidingWindow(options.windowMs);
  }

  recordSubmitted(now: number): void {
    this.submitted.push(now);
  }

  measure(now: number): number {
    return this.submitted.count(now);
  }

  breached(count: number): boolean {
    return count > this.threshold;
  }

  describe(count: number): string {
    return `orderRate: ${count} orders submitted in ${this.submitted.windowMs} ms exceeds limit ${this.threshold}`;
  }
}

/** Rejects / submitted in the window; a ratio over a handful of orders means little, hence minOrders. */
export class RejectRateRule implements RiskRule {
  readonly name = 'rejectRate';
  readonly action: RiskAction;
  readonly threshold: number;
  private readonly minOrders: number;
  private readonly submitted: SlidingWindow;
  private readonly rejected: SlidingWindow;
  private submittedCount = 0;
  private rejectedCount = 0;

  constructor(options: WindowOptions & { readonly minOrders: number }) {
    this.action = options.action;
    this.threshold = options.limit;
    this.minOrders = options.minOrders;
    this.submitted = new SlidingWindow(options.windowMs);
    this.rejected = new SlidingWindow(options.windowMs);
  }

  recordSubmitted(now: number): void {
    this.submitted.push(now);
  }

  recordRejected(now: number): void {
    this.rejected.push(now);
  }

  measure(now: number): number {
    this.submittedCount = this.submitted.count(now);
    this.rejectedCount = this.rejected.count(now);
    return this.submittedCount === 0 ? 0 : this.rejectedCount / this.submittedCount;
  }

  breached(ratio: number): boolean {
    return this.submittedCount >= this.minOrders && ratio >= this.threshold;
  }

  describe(ratio: number): string {
    return (
      `rejectRate: ${this.rejectedCount} of ${this.submittedCount} orders rejected ` +
      `(${brief(ratio * 100)}%) in ${this.submitted.windowMs} ms breached limit ${brief(this.threshold * 100)}%`
    );
  }
}

/** p99 (nearest rank) of OrderSubmitted.latencyNs in the window, in microseconds. */
export class LatencyP99Rule implements RiskRule {
  readonly name = 'latencyP99';
  readonly action: RiskAction;
  readonly threshold: number;
  private readonly minOrders: number;
  private readonly latencies: SlidingWindow;
  /** Reused for sorting; grows to the busiest window seen. */
  private scratch = new Float64Array(256);
  private sampleCount = 0;

  constructor(options: {
    readonly action: RiskAction;
    readonly limitMicros: number;
    readonly windowMs: number;
    readonly minOrders: number;
  }) {
    this.action = options.action;
    this.threshold = options.limitMicros;
    this.minOrders = options.minOrders;
    this.latencies = new SlidingWindow(options.windowMs);
  }

  recordSubmitted(now: number, latencyNs: number): void {
    this.latencies.push(now, latencyNs);
  }

  /** Sorts the window: runs on the timer only, never per order. */
  measure(now: number): number {
    const count = this.latencies.count(now);
    this.sampleCount = count;
    if (count === 0) return 0;
    if (this.scratch.length < count) this.scratch = new Float64Array(count * 2);
    this.latencies.copyValues(now, this.scratch);
    const sorted = this.scratch.subarray(0, count).sort();
    return sorted[Math.ceil(count * 0.99) - 1]! / 1000;
  }

  breached(p99Micros: number): boolean {
    return this.sampleCount >= this.minOrders && p99Micros >= this.threshold;
  }

  describe(p99Micros: number): string {
    return (
      `latencyP99: p99 tick-to-order latency ${brief(p99Micros)} us over ${this.sampleCount} orders ` +
      `in ${this.latencies.windowMs} ms breached limit ${this.threshold} us`
    );
  }
}

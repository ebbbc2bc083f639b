// Run counters and the blocks-by-gate-and-reason table behind heartbeats and the run summary.

import type { RunSummary } from '../core/events.js';
import type { KillSwitchState } from '../core/kill-switch-record.js';
import { LatencyHistogram } from './latency-histogram.js';

export class EngineCounters {
  ticks = 0;
  ticksProcessed = 0;
  ticksBlocked = 0;
  ordersSubmitted = 0;
  ordersDenied = 0;
  fills = 0;
  strategyErrors = 0;
  brokerErrors = 0;
  readonly latency = new LatencyHistogram();
  /** Keyed `gate<n>:<code>`; a Map so the hot path never reshapes an object. */
  private readonly blocks = new Map<string, number>();
  startedAt = 0;
  /** Monotonic ms of the latest tick (0 before the first): /readyz says whether the feed delivers. */
  lastTickAt = 0;

  countBlock(key: string): void {
    this.blocks.set(key, (this.blocks.get(key) ?? 0) + 1);
  }

  summary(nowMonotonic: number, state: KillSwitchState, revision: number): RunSummary {
    const elapsedMs = Math.max(0, nowMonotonic - this.startedAt);
    return {
      ticks: this.ticks,
      ticksProcessed: this.ticksProcessed,
      ticksBlocked: this.ticksBlocked,
      ordersSubmitted: this.ordersSubmitted,
      ordersDenied: this.ordersDenied,
      fills: this.fills,
      strategyErrors: this.strategyErrors,
      brokerErrors: this.brokerErrors,
      blocks: Object.fromEntries(this.blocks),
      elapsedMs,
      ticksPerSecond: elapsedMs > 0 ? (this.ticks * 1000) / elapsedMs : 0,
      latencyNs: this.latency.summary(),
      state,
      revision,
    };
  }
}

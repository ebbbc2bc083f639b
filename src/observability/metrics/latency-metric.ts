// The engine's tick-to-order LatencyHistogram exported as a Prometheus histogram in seconds.
// prom-client's Histogram only fills through observe(), one value at a time, so it cannot carry
// counts the engine has already aggregated. This is a custom metric object instead: prom-client's
// Registry only reads `name`, `help`, `type` and `get()` (plus `reset()` and `aggregator` from its
// resetMetrics() and cluster helpers), and `get()` returns the same values its Histogram returns.

import type { Metric, Registry } from 'prom-client';
import type { LatencyHistogram } from '../../engine/latency-histogram.js';

/** Upper bounds in seconds, 1 µs to 1 s: the engine's own path lives in µs, a slow broker in ms. */
export const TICK_TO_ORDER_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.000001, 0.000002, 0.000005, 0.00001, 0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002,
  0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1,
]);

const NANOSECONDS_PER_SECOND = 1e9;

/** One exposition line as prom-client's Registry formats it (`metricName` defaults to the metric's name). */
export interface ExportedValue {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

export interface ExportedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  readonly values: readonly ExportedValue[];
}

/**
 * A histogram whose buckets are copied from a LatencyHistogram by `update()`, so one scrape sees
 * one consistent copy and the engine's hot path never calls into prom-client.
 */
export class LatencyHistogramMetric {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly boundsNs: readonly number[];
  private values: readonly ExportedValue[];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly latency: LatencyHistogram,
  ) {
    this.boundsNs = TICK_TO_ORDER_BUCKETS_SECONDS.map((seconds) =>
      Math.round(seconds * NANOSECONDS_PER_SECOND),
    );
    this.values = this.valuesFor(
      this.boundsNs.map(() => 0),
      0,
      0,
    );
  }

  /** Copies the engine's counts. `le` buckets are cumulative, +Inf and `_count` are the total. */
  update(): void {
    const { latency } = this;
    this.values = this.valuesFor(
      this.boundsNs.map((boundNs) => latency.countAtOrBelow(boundNs)),
      latency.count,
      latency.estimatedSum() / NANOSECONDS_PER_SECOND,
    );
  }

  get(): Promise<ExportedMetric> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.values,
    });
  }

  /** Registry.resetMetrics() calls this; the engine's histogram is not ours to clear. */
  reset(): void {}

  private valuesFor(cumulative: readonly number[], count: number, sum: number): ExportedValue[] {
    const bucket = `${this.name}_bucket`;
    const values: ExportedValue[] = TICK_TO_ORDER_BUCKETS_SECONDS.map((le, index) => ({
      metricName: bucket,
      labels: { le },
      value: cumulative[index] ?? 0,
    }));
    values.push(
      { metricName: bucket, labels: { le: '+Inf' }, value: count },
      { metricName: `${this.name}_sum`, labels: {}, value: sum },
      { metricName: `${this.name}_count`, labels: {}, value: count },
    );
    return values;
  }
}

/** Creates the metric and registers it; prom-client types registerMetric for its own classes only. */
export function registerLatencyMetric(
  registry: Registry,
  name: string,
  help: string,
  latency: LatencyHistogram,
): LatencyHistogramMetric {
  const metric = new LatencyHistogramMetric(name, help, latency);
  registry.registerMetric(metric as unknown as Metric);
  return metric;
}

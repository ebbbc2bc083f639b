// The engine's nanosecond LatencyHistogram, exported as a Prometheus histogram in seconds, must read
// exactly like prom-client's own Histogram would for the same observations.

import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../../src/engine/latency-histogram.js';
import {
  registerLatencyMetric,
  TICK_TO_ORDER_BUCKETS_SECONDS,
} from '../../../src/observability/metrics/latency-metric.js';

const NAME = 'test_tick_to_order_latency_seconds';
const HELP = 'Time from tick arrival to the order handed to the broker.';

/**
 * Latencies in ns, none within the histogram's ~1.6% precision below a bucket bound (where the
 * engine's histogram may count a value one bucket up), one above the last bound (only in +Inf).
 */
const LATENCIES_NS = [
  50, 300, 1_500, 7_000, 30_000, 30_000, 150_000, 3_000_000, 70_000_000, 300_000_000, 2_000_000_000,
];

function sumLine(text: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${NAME}_sum `));
  return Number(line?.split(' ')[1]);
}

function withoutSum(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith(`${NAME}_sum `))
    .join('\n');
}

describe('LatencyHistogramMetric', () => {
  it('writes the same lines as prom-client’s own Histogram for the same latencies', async () => {
    const latency = new LatencyHistogram();
    for (const nanoseconds of LATENCIES_NS) latency.record(nanoseconds);
    const ours = new Registry();
    registerLatencyMetric(ours, NAME, HELP, latency).update();

    const reference = new Registry();
    const histogram = new Histogram({
      name: NAME,
      help: HELP,
      buckets: [...TICK_TO_ORDER_BUCKETS_SECONDS],
      registers: [reference],
    });
    for (const nanoseconds of LATENCIES_NS) histogram.observe(nanoseconds / 1e9);

    const [ourText, referenceText] = await Promise.all([ours.metrics(), reference.metrics()]);
    // Buckets, +Inf, count, HELP and TYPE are exact; the sum is estimated from bucket midpoints.
    expect(withoutSum(ourText)).toBe(withoutSum(referenceText));
    const exactSum = LATENCIES_NS.reduce((total, value) => total + value, 0) / 1e9;
    expect(Math.abs(sumLine(ourText) - exactSum) / exactSum).toBeLessThan(0.02);
    expect(ourText).toContain(`${NAME}_bucket{le="+Inf"} ${LATENCIES_NS.length}\n`);
    expect(ourText).toContain(`${NAME}_bucket{le="1"} ${LATENCIES_NS.length - 1}\n`);
  });

  it('exports every bucket at zero before the first order', async () => {
    const registry = new Registry();
    registerLatencyMetric(registry, NAME, HELP, new LatencyHistogram()).update();
    const lines = (await registry.metrics()).split('\n').filter((line) => line.startsWith(NAME));
    expect(lines).toHaveLength(TICK_TO_ORDER_BUCKETS_SECONDS.length + 3);
    expect(lines.every((line) => line.endsWith(' 0'))).toBe(true);
  });

  it('serves the copy of the last update(), so one scrape never mixes two moments', async () => {
    const latency = new LatencyHistogram();
    const registry = new Registry();
    const metric = registerLatencyMetric(registry, NAME, HELP, latency);
    latency.record(4_000);
    metric.update();
    latency.record(4_000);
    expect(await registry.metrics()).toContain(`${NAME}_count 1\n`);
    metric.update();
    expect(await registry.metrics()).toContain(`${NAME}_count 2\n`);
    const json = await registry.getMetricsAsJSON();
    expect(json[0]).toMatchObject({ name: NAME, type: 'histogram' });
  });
});

import { describe, expect, it } from 'vitest';
import { intervalValueAt, LatencyHistogram } from '../../src/engine/latency-histogram.js';

describe('LatencyHistogram', () => {
  it('is exact below 128 ns', () => {
    const histogram = new LatencyHistogram();
    for (let value = 1; value <= 100; value++) histogram.record(value);
    expect(histogram.valueAt(0.5)).toBe(50);
    expect(histogram.valueAt(0.99)).toBe(99);
    expect(histogram.max).toBe(100);
  });

  it('stays within 1.6% of the true percentile across six decades, never under-reporting', () => {
    const histogram = new LatencyHistogram();
    const values: number[] = [];
    let seed = 7;
    for (let index = 0; index < 100_000; index++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const value = Math.floor(10 ** (2 + (seed / 2 ** 31) * 6)); // 100 ns .. 100 ms
      values.push(value);
      histogram.record(value);
    }
    values.sort((a, b) => a - b);
    for (const quantile of [0.5, 0.9, 0.99, 0.999]) {
      const truth = values[Math.ceil(quantile * values.length) - 1]!;
      const reported = histogram.valueAt(quantile);
      expect(reported).toBeGreaterThanOrEqual(truth);
      expect((reported - truth) / truth).toBeLessThan(1 / 64);
    }
    expect(histogram.max).toBe(values.at(-1));
  });

  it('keeps the exact max beyond the trackable range and clamps negatives to zero', () => {
    const histogram = new LatencyHistogram();
    histogram.record(-5);
    histogram.record(9e9);
    expect(histogram.count).toBe(2);
    expect(histogram.valueAt(0.5)).toBe(0);
    expect(histogram.valueAt(1)).toBe(9e9);
    histogram.reset();
    expect(histogram.summary()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
  });
});

describe('LatencyHistogram read side (control plane)', () => {
  it('gives the percentiles of an interval from two snapshots, and null for an empty one', () => {
    const histogram = new LatencyHistogram();
    for (let index = 0; index < 100; index++) histogram.record(1_000_000);
    const before = histogram.snapshot();
    expect(intervalValueAt(before, before, 0.5)).toBeNull();
    for (let index = 0; index < 100; index++) histogram.record(100);
    const after = histogram.snapshot();
    expect(intervalValueAt(after, before, 0.99)).toBe(100);
    expect(intervalValueAt(after, undefined, 0.99)).toBeGreaterThanOrEqual(1_000_000);
    expect(intervalValueAt(after, undefined, 0.99)).toBeLessThan(1_020_000);
  });

  it('counts values at or below a Prometheus bucket bound, never counting one above it', () => {
    const histogram = new LatencyHistogram();
    for (const value of [50, 127, 1_000, 10_000, 10_100, 5_000_000]) histogram.record(value);
    expect(histogram.countAtOrBelow(127)).toBe(2);
    expect(histogram.countAtOrBelow(1_000_000)).toBe(5);
    expect(histogram.countAtOrBelow(10_000)).toBeLessThanOrEqual(4);
    expect(histogram.countAtOrBelow(10_200)).toBe(5);
    expect(histogram.countAtOrBelow(10 ** 10)).toBe(6);
    const sum = 50 + 127 + 1_000 + 10_000 + 10_100 + 5_000_000;
    expect(Math.abs(histogram.estimatedSum() - sum) / sum).toBeLessThan(0.02);
  });
});

// Log-linear latency histogram in nanoseconds (HDR-style, ~1.6% precision).
// Hand-written because it sits on the hot path: record() is a few integer ops and one array
// increment, with no allocation and no call into native code.

import type { LatencySummary } from '../core/events.js';

/** Values below 2^7 ns are exact; above, each power of two is split into 64 linear buckets. */
const SUB_BUCKET_BITS = 7;
const SUB_BUCKET_COUNT = 1 << SUB_BUCKET_BITS; // 128
const SUB_BUCKET_HALF = SUB_BUCKET_COUNT >> 1; // 64
const LARGEST_TRACKABLE = 0xffffffff; // ~4.29 s in ns; larger values land in the last bucket
const BUCKET_COUNT = SUB_BUCKET_COUNT + (32 - SUB_BUCKET_BITS) * SUB_BUCKET_HALF;

function bucketIndex(value: number): number {
  if (value < SUB_BUCKET_COUNT) return value;
  const mostSignificantBit = 31 - Math.clz32(value);
  const shift = mostSignificantBit - (SUB_BUCKET_BITS - 1);
  return SUB_BUCKET_COUNT + (shift - 1) * SUB_BUCKET_HALF + ((value >>> shift) - SUB_BUCKET_HALF);
}

/** Highest value that falls in a bucket, so percentiles never under-report. */
function bucketUpperBound(index: number): number {
  if (index < SUB_BUCKET_COUNT) return index;
  const offset = index - SUB_BUCKET_COUNT;
  const shift = Math.floor(offset / SUB_BUCKET_HALF) + 1;
  const mantissa = (offset % SUB_BUCKET_HALF) + SUB_BUCKET_HALF;
  return (mantissa + 1) * 2 ** shift - 1;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private maximum = 0;

  /** Records one latency in nanoseconds (fractions and negatives are clamped). */
  record(nanoseconds: number): void {
    let value = nanoseconds > 0 ? Math.floor(nanoseconds) : 0;
    if (value > this.maximum) this.maximum = value;
    if (value > LARGEST_TRACKABLE) value = LARGEST_TRACKABLE;
    this.counts[bucketIndex(value)]! += 1;
    this.total += 1;
  }

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maximum;
  }

  /** Value at quantile q in [0, 1]: the upper bound of the bucket holding it, capped at the exact max. */
  valueAt(quantile: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(quantile * this.total));
    let seen = 0;
    for (let index = 0; index < BUCKET_COUNT; index++) {
      seen += this.counts[index]!;
      if (seen < rank) continue;
      const upper = bucketUpperBound(index);
      // The top bucket also holds clamped values, so only the exact max is honest there.
      return upper >= LARGEST_TRACKABLE ? this.maximum : Math.min(upper, this.maximum);
    }
    return this.maximum;
  }

  summary(): LatencySummary {
    return {
      count: this.total,
      p50: this.valueAt(0.5),
      p90: this.valueAt(0.9),
      p99: this.valueAt(0.99),
      p999: this.valueAt(0.999),
      max: this.maximum,
    };
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.maximum = 0;
  }
}

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

/** Bucket counts at one moment; two of them give the distribution of the interval between. */
export interface LatencySnapshot {
  readonly counts: Float64Array;
  readonly total: number;
}

/**
 * Value at `quantile` of what was recorded between `older` and `newer` (ns, bucket upper bound),
 * or null if nothing was. Read-side only: the control plane calls it once per interval.
 */
export function intervalValueAt(
  newer: LatencySnapshot,
  older: LatencySnapshot | undefined,
  quantile: number,
): number | null {
  const total = newer.total - (older?.total ?? 0);
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(quantile * total));
  let seen = 0;
  for (let index = 0; index < BUCKET_COUNT; index++) {
    seen += newer.counts[index]! - (older?.counts[index] ?? 0);
    if (seen >= rank) return bucketUpperBound(index);
  }
  return bucketUpperBound(BUCKET_COUNT - 1);
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

  /** A copy of the bucket counts (allocates ~14 KiB: for once-per-interval readers, not the hot path). */
  snapshot(): LatencySnapshot {
    return { counts: Float64Array.from(this.counts), total: this.total };
  }

  /**
   * How many recorded values fall in buckets whose upper bound is <= `nanoseconds`: a Prometheus
   * `le` bucket. Values within ~1.6% below the bound may land in the next one (never in a lower).
   */
  countAtOrBelow(nanoseconds: number): number {
    let count = 0;
    for (let index = 0; index < BUCKET_COUNT; index++) {
      if (bucketUpperBound(index) > nanoseconds) break;
      count += this.counts[index]!;
    }
    return count;
  }

  /** Sum of recorded values is not kept (hot path); this estimates it from bucket midpoints, in ns. */
  estimatedSum(): number {
    let sum = 0;
    for (let index = 0; index < BUCKET_COUNT; index++) {
      const count = this.counts[index]!;
      if (count === 0) continue;
      const upper = bucketUpperBound(index);
      const lower = index === 0 ? 0 : bucketUpperBound(index - 1) + 1;
      sum += count * ((lower + Math.min(upper, this.maximum)) / 2);
    }
    return sum;
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

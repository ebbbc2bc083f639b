// A token bucket refilled from the caller's `now`: excess orders are denied, never queued.

/** A fractional token left by float division still counts as a whole one. */
const TOKEN_TOLERANCE = 1e-9;

export class TokenBucket {
  readonly enabled: boolean;
  private readonly ratePerMs: number;
  private tokens: number;
  private lastRefill: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    start: number,
  ) {
    this.enabled = Number.isFinite(ratePerSecond);
    this.ratePerMs = ratePerSecond / 1000;
    this.tokens = burst;
    this.lastRefill = start;
  }

  get available(): number {
    return this.tokens;
  }

  refill(now: number): void {
    if (!this.enabled) return;
    const elapsed = now - this.lastRefill;
    // A clock that steps back re-anchors without granting tokens, so it cannot stall the bucket.
    if (elapsed > 0) {
      const tokens = this.tokens + elapsed * this.ratePerMs;
      this.tokens = tokens < this.burst ? tokens : this.burst;
    }
    this.lastRefill = now;
  }

  /** A bucket with new limits that keeps what `previous` had spent (a tightening grants nothing). */
  carriedFrom(previous: TokenBucket): this {
    if (this.enabled && previous.enabled) {
      this.tokens = Math.min(previous.tokens, this.burst);
      this.lastRefill = previous.lastRefill;
    }
    return this;
  }

  hasToken(): boolean {
    return !this.enabled || this.tokens >= 1 - TOKEN_TOLERANCE;
  }

  /** A disabled bucket is left alone: writing Infinity - 1 back made V8 allocate. */
  take(): void {
    if (!this.enabled) return;
    this.tokens = this.tokens > 1 ? this.tokens - 1 : 0;
  }

  /** Milliseconds until a whole token is back. */
  msUntilToken(): number {
    return Math.max(0, (1 - this.tokens) / this.ratePerMs);
  }
}

// Time sources: wall clock for records, monotonic high-resolution time for latency.

export interface Clock {
  /** Epoch milliseconds (may be fractional). */
  now(): number;
  /** Monotonic milliseconds with sub-microsecond resolution, for measuring intervals. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  monotonic: () => performance.now(),
};

/** A clock tests can move by hand. */
export class ManualClock implements Clock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  monotonic(): number {
    return this.current;
  }
  advance(milliseconds: number): void {
    this.current += milliseconds;
  }
}

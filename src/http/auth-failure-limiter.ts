// Failed authentications per client address in a sliding window: too many, and that address waits.

import { LivegateError } from '../core/errors.js';

export interface AuthFailureLimiterOptions {
  /** Failures within the window after which the address is refused. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Epoch ms; injectable for tests. */
  readonly now?: () => number;
  /** Addresses tracked at most; beyond, the least recently failing are forgotten. */
  readonly maxAddresses?: number;
}

const DEFAULT_MAX_ADDRESSES = 10_000;

export class AuthFailureLimiter {
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly maxAddresses: number;
  /**
   * Times of the latest failures per address, oldest first, at most maxFailures of them: that is
   * all the decision needs. Map order is least recently failing first, which makes eviction cheap.
   */
  private readonly failures = new Map<string, number[]>();

  constructor(options: AuthFailureLimiterOptions) {
    this.maxFailures = positiveInteger(options.maxFailures, 'maxFailures');
    this.windowMs = positiveInteger(options.windowMs, 'windowMs');
    this.now = options.now ?? Date.now;
    this.maxAddresses = positiveInteger(
      options.maxAddresses ?? DEFAULT_MAX_ADDRESSES,
      'maxAddresses',
    );
  }

  recordFailure(address: string): void {
    const now = this.now();
    const times = this.recentFailures(address, now);
    times.push(now);
    if (times.length > this.maxFailures) times.shift();
    // Re-insert so the map stays ordered by latest failure.
    this.failures.delete(address);
    this.failures.set(address, times);
    this.evictBeyondCapacity();
  }

  /** ms until the address may try again, or 0 when it is not limited. */
  retryAfterMs(address: string): number {
    const now = this.now();
    const times = this.recentFailures(address, now);
    if (times.length < this.maxFailures) return 0;
    const oldest = times[0] ?? now;
    return Math.max(1, oldest + this.windowMs - now);
  }

  /** Failures still inside the window (expired ones are dropped on the way). */
  private recentFailures(address: string, now: number): number[] {
    const times = this.failures.get(address);
    if (times === undefined) return [];
    while (times.length > 0 && (times[0] ?? now) <= now - this.windowMs) times.shift();
    if (times.length === 0) this.failures.delete(address);
    return times;
  }

  /** The map is ordered by latest failure, so the first entries are the ones to forget. */
  private evictBeyondCapacity(): void {
    for (const address of this.failures.keys()) {
      if (this.failures.size <= this.maxAddresses) return;
      this.failures.delete(address);
    }
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `AuthFailureLimiter: ${name} must be a positive integer, got ${value}`,
      { details: { option: name } },
    );
  }
  return value;
}

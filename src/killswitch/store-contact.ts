// The one fail-closed policy for every store: valid reads are contact; no contact for failClosedAfterMs
// fails closed; the state the gates enforce is trusted only for leaseMs after the read that fetched it.

import type { Clock } from '../core/clock.js';

export interface StoreContactOptions {
  /** No valid read of the state for this long (monotonic ms) fails the switch closed. */
  readonly failClosedAfterMs: number;
  /** How long a valid read vouches for the state at gate 3; after that orders wait for a new read. */
  readonly leaseMs: number;
  /** Reads are issued at least this often. */
  readonly pollIntervalMs: number;
}

export const DEFAULT_STORE_CONTACT: StoreContactOptions = Object.freeze({
  failClosedAfterMs: 1000,
  leaseMs: 500,
  pollIntervalMs: 250,
});

export interface StoreContactHooks {
  /** One read of the store; resolves true when it yielded a valid state (record, or known missing). */
  readonly read: () => Promise<boolean>;
  /** No valid read for longer than failClosedAfterMs, with no stall of our own left to excuse it. */
  readonly silent: (silentMs: number) => void;
  /** The lease moved (a read started at `issuedAt` came back valid). */
  readonly leased: () => void;
}

/** A check this late means our own event loop stalled, not that the store went quiet. */
const STALL_FACTOR = 3;

/**
 * Silence and the lease are counted from when the read that ended them was *issued*, on this
 * process's monotonic clock, so a slow answer never makes old state look fresh.
 *
 * A stalled loop (a stuck strategy, a GC pause) reads nothing while it is stalled. When it resumes,
 * the first check re-reads at once and grants one grace of failClosedAfterMs for that read to come
 * back: a healthy store does not latch the engine, an unreachable one does within failClosedAfterMs
 * plus one round trip. Only one grace per stretch without contact, so a loop that keeps stalling
 * cannot keep postponing the decision. The lease keeps orders out meanwhile.
 */
export class StoreContact {
  /** Gate 3 compares clock.monotonic() against this: one number, no call. */
  leaseExpiresAt: number;
  private lastContactAt: number;
  private lastReadIssuedAt = Number.NEGATIVE_INFINITY;
  private lastCheckAt: number;
  private graceUntil = Number.NEGATIVE_INFINITY;
  private graceGranted = false;
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly checkEveryMs: number;

  constructor(
    readonly options: StoreContactOptions,
    private readonly clock: Clock,
    private readonly hooks: StoreContactHooks,
  ) {
    const now = clock.monotonic();
    this.lastContactAt = now;
    this.lastCheckAt = now;
    this.leaseExpiresAt = Number.NEGATIVE_INFINITY;
    this.checkEveryMs = Math.max(
      5,
      Math.min(options.pollIntervalMs, options.failClosedAfterMs / 10, options.leaseMs / 4),
    );
  }

  /** A valid read issued at `issuedAt` (monotonic): contact, and a new lease. */
  contact(issuedAt: number): void {
    if (issuedAt > this.lastContactAt) this.lastContactAt = issuedAt;
    this.graceGranted = false;
    const expires = issuedAt + this.options.leaseMs;
    if (expires > this.leaseExpiresAt) {
      this.leaseExpiresAt = expires;
      this.hooks.leased();
    }
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.lastCheckAt = this.clock.monotonic();
    this.lastContactAt = Math.max(this.lastContactAt, this.lastCheckAt - this.checkEveryMs);
    this.timer = setInterval(() => this.check(), this.checkEveryMs);
    // The policy must never be what keeps a process alive.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads now, or once more right after the read in flight (which may predate what we need). */
  refresh(): void {
    // Gate 3 calls this for each order it denies stale: no promise while a read is in flight.
    if (this.reading !== undefined) this.readAgain = true;
    else void this.readNow();
  }

  /**
   * Reads now; resolves when a read issued from now on has settled (valid or not), at most
   * `withinMs` later. Never rejects.
   */
  async readNow(withinMs = Number.POSITIVE_INFINITY): Promise<void> {
    let settled = this.reading;
    if (settled !== undefined) {
      this.readAgain = true;
    } else {
      // Cleared in a reaction, so always after this assignment (a read may settle synchronously).
      const reading: Promise<void> = this.readUntilSettled().finally(() => {
        if (this.reading === reading) this.reading = undefined;
      });
      this.reading = settled = reading;
    }
    if (!Number.isFinite(withinMs)) return settled;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, withinMs);
    });
    try {
      await Promise.race([settled, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async readUntilSettled(): Promise<void> {
    do {
      this.readAgain = false;
      const issuedAt = this.clock.monotonic();
      this.lastReadIssuedAt = issuedAt;
      let valid: boolean;
      try {
        valid = await this.hooks.read();
      } catch {
        valid = false;
      }
      if (valid) this.contact(issuedAt);
    } while (this.readAgain && this.timer !== undefined);
  }

  private check(): void {
    const now = this.clock.monotonic();
    const stalled = now - this.lastCheckAt > STALL_FACTOR * this.checkEveryMs;
    this.lastCheckAt = now;
    if (stalled && !this.graceGranted) {
      this.graceGranted = true;
      this.graceUntil = now + this.options.failClosedAfterMs;
      this.refresh();
    }
    const silentMs = now - this.lastContactAt;
    if (silentMs > this.options.failClosedAfterMs && now > this.graceUntil) {
      this.hooks.silent(silentMs);
    }
    if (now - this.lastReadIssuedAt >= this.options.pollIntervalMs) this.refresh();
  }
}

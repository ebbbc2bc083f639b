// The venue's own dead-man switch (ccxt cancelAllOrdersAfter): armed on connect, pushed back on
// heartbeats, disarmed on a clean close. If this engine hangs or dies, the venue cancels its orders.

import type { Exchange } from 'ccxt';
import type { Clock } from '../../core/clock.js';
import { describeVendorError } from './ccxt-errors.js';
import type { VenueLink } from './venue-link.js';

export interface DeadManOptions {
  readonly exchange: Exchange;
  /** The venue cancels everything this long after the last refresh; 0 turns the switch off. */
  readonly countdownMs: number;
  readonly refreshEveryMs: number;
  readonly clock: Clock;
  readonly link: VenueLink;
}

export class VenueDeadMan {
  private armed = false;
  /** False after a failure, so the next success is reported as armed again. */
  private healthy = false;
  private lastArmedAt = -Infinity;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly options: DeadManOptions) {}

  get supported(): boolean {
    return this.options.exchange.has.cancelAllOrdersAfter === true && this.options.countdownMs > 0;
  }

  get isArmed(): boolean {
    return this.armed;
  }

  /** Arms (or re-arms) now. Failures are reported, never thrown: the kill switch still stands. */
  arm(): Promise<void> {
    if (!this.supported) return Promise.resolve();
    this.inFlight ??= this.call().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Re-arms when `refreshEveryMs` has passed since the last success (so: at once after a failure). */
  refresh(): Promise<void> {
    if (!this.supported) return Promise.resolve();
    if (this.options.clock.monotonic() - this.lastArmedAt < this.options.refreshEveryMs) {
      return Promise.resolve();
    }
    return this.arm();
  }

  /** Cancels the countdown at the venue (cancelAllOrdersAfter(0)). */
  async disarm(): Promise<void> {
    await this.inFlight;
    if (!this.armed) return;
    try {
      await this.options.exchange.cancelAllOrdersAfter(0);
      this.armed = false;
    } catch (error) {
      this.options.link.emit(
        'dead-man-failed',
        `disarming cancel-all-after failed (${describeVendorError(error)}): the venue will cancel all orders when the countdown ends`,
      );
    }
  }

  private async call(): Promise<void> {
    const { exchange, countdownMs, clock, link } = this.options;
    try {
      await exchange.cancelAllOrdersAfter(countdownMs);
      this.armed = true;
      this.lastArmedAt = clock.monotonic();
      if (!this.healthy) {
        link.emit(
          'dead-man-armed',
          `the venue cancels all orders ${countdownMs} ms after the last refresh`,
        );
      }
      this.healthy = true;
    } catch (error) {
      this.healthy = false;
      link.emit(
        'dead-man-failed',
        `arming cancel-all-after failed (${describeVendorError(error)}): the venue's safety net is down, the engine's kill switch still applies`,
      );
    }
  }
}

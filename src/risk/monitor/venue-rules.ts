// Rules on the venue connection: a gateway or exchange that stays disconnected, a feed that keeps
// skipping sequence numbers, and positions or orders that disagree with the venue's books.

import type { RiskAction } from '../../core/risk-snapshot.js';
import type { RiskRule } from './risk-rule.js';

/** Longest current disconnection of any feed or broker connection, monotonic ms. */
export class VenueDisconnectedRule implements RiskRule {
  readonly name = 'venueDisconnected';
  readonly action: RiskAction;
  readonly threshold: number;
  private readonly disconnectedSince = new Map<string, number>();
  private longest = '';

  constructor(options: { readonly action: RiskAction; readonly limitMs: number }) {
    this.action = options.action;
    this.threshold = options.limitMs;
  }

  recordDisconnected(connection: string, now: number): void {
    if (!this.disconnectedSince.has(connection)) this.disconnectedSince.set(connection, now);
  }

  recordConnected(connection: string): void {
    this.disconnectedSince.delete(connection);
  }

  measure(now: number): number {
    let longest = 0;
    this.longest = '';
    for (const [connection, since] of this.disconnectedSince) {
      if (now - since >= longest) {
        longest = now - since;
        this.longest = connection;
      }
    }
    return longest;
  }

  breached(value: number): boolean {
    return this.disconnectedSince.size > 0 && value >= this.threshold;
  }

  describe(value: number): string {
    return `venueDisconnected: ${this.longest} disconnected for ${Math.round(value)} ms, limit ${this.threshold} ms`;
  }
}

/** Events of one kind (sequence gaps, reconciliation mismatches) within a sliding window. */
export class VenueEventCountRule implements RiskRule {
  readonly action: RiskAction;
  readonly threshold: number;
  private readonly times: number[] = [];
  private lastDetail = '';

  constructor(
    readonly name: 'feedGaps' | 'reconciliation',
    options: { readonly action: RiskAction; readonly limit: number; readonly windowMs: number },
    private readonly windowMs = options.windowMs,
  ) {
    this.action = options.action;
    this.threshold = options.limit;
  }

  record(now: number, detail: string): void {
    this.times.push(now);
    this.lastDetail = detail;
  }

  measure(now: number): number {
    while (this.times.length > 0 && (this.times[0] ?? now) <= now - this.windowMs)
      this.times.shift();
    return this.times.length;
  }

  breached(value: number): boolean {
    return value >= this.threshold;
  }

  describe(value: number): string {
    const what = this.name === 'feedGaps' ? 'feed sequence gaps' : 'reconciliation mismatches';
    return `${this.name}: ${value} ${what} within ${this.windowMs} ms, limit ${this.threshold}; last: ${this.lastDetail}`;
  }
}

// A desk's window joined with the firm's for one symbol: new exposure only while both are open.
// Cached like a single window, so gate 2 still compares one boundary and reads one flag.

import type { TradingWindowPhase } from '../../core/risk-snapshot.js';
import type { TradingSchedule, TradingWindow, TradingWindowStatus } from './trading-window.js';
import { DAY_MS } from './zoned-time.js';

/** Closed is worse than flattening, which is worse than open. */
const SEVERITY: Record<TradingWindowPhase, number> = { open: 0, flattening: 1, closed: 2 };

/** How far ahead the next instant both windows are open is looked for. */
const SEARCH_DAYS = 8;

export class JointTradingWindow implements TradingSchedule {
  accepting = true;
  phase: TradingWindowPhase = 'open';
  validFrom = Number.NEGATIVE_INFINITY;
  changesAt = Number.NEGATIVE_INFINITY;
  private deciding: TradingWindow;
  private status: TradingWindowStatus = {
    phase: 'open',
    nextOpen: null,
    nextClose: null,
    flattenAt: null,
  };

  constructor(
    readonly desk: TradingWindow,
    readonly firm: TradingWindow,
  ) {
    this.deciding = desk;
  }

  get name(): string {
    return this.deciding.name;
  }

  get timeZone(): string | undefined {
    return this.deciding.timeZone;
  }

  statusAt(now: number): TradingWindowStatus {
    if (now >= this.changesAt || now < this.validFrom) this.refresh(now);
    return this.status;
  }

  /** Allocates (both windows' sessions), so only on a boundary of either. */
  refresh(now: number): void {
    const desk = this.desk.evaluate(now);
    const firm = this.firm.evaluate(now);
    const worse = SEVERITY[firm.status.phase] > SEVERITY[desk.status.phase] ? firm : desk;
    this.deciding = worse === firm ? this.firm : this.desk;
    this.phase = worse.status.phase;
    this.accepting = this.phase === 'open';
    this.validFrom = now;
    this.changesAt = Math.min(desk.changesAt, firm.changesAt);
    const earliest = (a: number | null, b: number | null) =>
      a === null ? b : b === null ? a : Math.min(a, b);
    if (this.phase === 'open') {
      this.status = {
        phase: 'open',
        nextOpen: null,
        nextClose: earliest(desk.status.nextClose, firm.status.nextClose),
        flattenAt: earliest(desk.status.flattenAt, firm.status.flattenAt),
      };
    } else {
      this.status = {
        phase: this.phase,
        nextOpen: this.nextOpenAfter(now),
        nextClose: worse.status.nextClose,
        flattenAt: worse.status.flattenAt,
      };
    }
  }

  /** The first instant both windows are open (null: none within SEARCH_DAYS). */
  private nextOpenAfter(now: number): number | null {
    const horizon = now + SEARCH_DAYS * DAY_MS;
    let at = now;
    // Each step jumps to the next opening (or close, from a flatten phase) of a window not open.
    for (let step = 0; step < 64 && at <= horizon; step++) {
      const desk = this.desk.evaluate(at);
      const firm = this.firm.evaluate(at);
      if (desk.status.phase === 'open' && firm.status.phase === 'open') return at;
      const next = Math.max(jumpFrom(at, desk), jumpFrom(at, firm));
      if (!Number.isFinite(next) || next <= at) return null;
      at = next;
    }
    return null;
  }
}

function jumpFrom(at: number, found: { status: TradingWindowStatus; changesAt: number }): number {
  return found.status.phase === 'open' ? at : found.changesAt;
}

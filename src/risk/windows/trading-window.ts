// One trading window's schedule, and its phase now, cached until the next boundary so that the
// pre-trade check only compares a number (the boundary) and reads a flag (new exposure allowed).

import type { TradingWindowPhase } from '../../core/risk-snapshot.js';
import { WEEKDAYS, type TradingWindowOptions } from './trading-window-options.js';
import { DAY_MS, minutesToMs, timeOfDayMs, ZonedTime } from './zoned-time.js';

/** Sessions are listed from the local day before `now` to this many days after it. */
const HORIZON_DAYS = 8;

interface Session {
  readonly openAt: number;
  readonly closeAt: number;
  /** The session reaches the end of the horizon: its real close may be later. */
  readonly openEnded: boolean;
}

export interface TradingWindowStatus {
  readonly phase: TradingWindowPhase;
  /** Epoch ms of the next opening (null while open, or none within a week). */
  readonly nextOpen: number | null;
  /** Epoch ms of the close of the current or next session (null when further than a week). */
  readonly nextClose: number | null;
  /** Epoch ms the flatten phase of that session starts (null without flattenMinutesBeforeClose). */
  readonly flattenAt: number | null;
}

/**
 * What gate 2 and the window watch read of a schedule: a window of its own, or a desk's window
 * joined with the firm's (JointTradingWindow).
 */
export interface TradingSchedule {
  /** False outside the window and in its flatten phase: orders that add exposure are denied. */
  readonly accepting: boolean;
  readonly phase: TradingWindowPhase;
  /** The cached phase holds for [validFrom, changesAt); outside it, refresh(). */
  readonly validFrom: number;
  readonly changesAt: number;
  /** The window that decides now (for a joint schedule, the one that is not open). */
  readonly name: string;
  readonly timeZone: string | undefined;
  refresh(now: number): void;
  statusAt(now: number): TradingWindowStatus;
}

export class TradingWindow implements TradingSchedule {
  /** False outside the window and in its flatten phase: orders that add exposure are denied. */
  accepting = true;
  phase: TradingWindowPhase = 'open';
  /** The cached phase holds for [validFrom, changesAt); outside it, refresh(). */
  validFrom = Number.NEGATIVE_INFINITY;
  changesAt = Number.POSITIVE_INFINITY;
  private status: TradingWindowStatus = {
    phase: 'open',
    nextOpen: null,
    nextClose: null,
    flattenAt: null,
  };
  private readonly zone: ZonedTime | undefined;
  private readonly days: ReadonlySet<number>;
  /** ms after local midnight. */
  private readonly openTime: number;
  private readonly closeTime: number;
  private readonly flattenMs: number;

  /** `options` undefined: always open (a symbol without a window), never refreshed. */
  constructor(
    /** `default`, or the symbol the window is configured for. */
    readonly name: string,
    readonly options: TradingWindowOptions | undefined,
  ) {
    this.zone = options === undefined ? undefined : new ZonedTime(options.timeZone);
    this.days = new Set((options?.days ?? []).map((day) => WEEKDAYS.indexOf(day)));
    this.openTime = timeOfDayMs(options?.open ?? '00:00');
    this.closeTime = timeOfDayMs(options?.close ?? '24:00');
    this.flattenMs = minutesToMs(options?.flattenMinutesBeforeClose ?? 0);
    // A schedule is computed at its first use; `always` keeps the open phase forever.
    if (options !== undefined) this.changesAt = Number.NEGATIVE_INFINITY;
  }

  get timeZone(): string | undefined {
    return this.options?.timeZone;
  }

  /** Phase, next open and close at `now` (epoch ms), recomputed only outside the cached period. */
  statusAt(now: number): TradingWindowStatus {
    if (now >= this.changesAt || now < this.validFrom) this.refresh(now);
    return this.status;
  }

  /** Recomputes the phase and the next boundary; allocates (Intl), so only on a boundary. */
  refresh(now: number): void {
    if (this.zone === undefined) return;
    const { status, changesAt } = this.evaluate(now);
    this.validFrom = now;
    this.phase = status.phase;
    this.accepting = status.phase === 'open';
    this.changesAt = changesAt;
    this.status = status;
  }

  /** The phase at any instant and when it next changes, leaving the cached phase alone. */
  evaluate(now: number): { status: TradingWindowStatus; changesAt: number } {
    if (this.zone === undefined) {
      const status = { phase: 'open', nextOpen: null, nextClose: null, flattenAt: null } as const;
      return { status, changesAt: Number.POSITIVE_INFINITY };
    }
    const sessions = this.sessionsAround(now);
    const session = sessions.find((candidate) => candidate.closeAt > now);
    if (session === undefined) {
      // No session within the horizon (cannot happen with a day listed): look again in a day.
      const status = { phase: 'closed', nextOpen: null, nextClose: null, flattenAt: null } as const;
      return { status, changesAt: now + DAY_MS };
    }
    const closeAt = session.openEnded ? null : session.closeAt;
    const flattenAt =
      closeAt === null || this.flattenMs === 0
        ? null
        : Math.max(session.openAt, closeAt - this.flattenMs);
    if (now < session.openAt) {
      return {
        status: { phase: 'closed', nextOpen: session.openAt, nextClose: closeAt, flattenAt },
        changesAt: session.openAt,
      };
    }
    if (flattenAt !== null && now >= flattenAt) {
      return {
        status: { phase: 'flattening', nextOpen: null, nextClose: closeAt, flattenAt },
        changesAt: session.closeAt,
      };
    }
    // An open-ended session is looked at again before the horizon runs out.
    const changesAt = flattenAt ?? (session.openEnded ? now + DAY_MS : session.closeAt);
    return {
      status: { phase: 'open', nextOpen: null, nextClose: closeAt, flattenAt },
      changesAt,
    };
  }

  /** Sessions from the local day before `now` on, back-to-back ones merged into one. */
  private sessionsAround(now: number): Session[] {
    const zone = this.zone!;
    const today = Math.floor(zone.wall(now) / DAY_MS) * DAY_MS;
    const overnight = this.closeTime <= this.openTime;
    const sessions: Session[] = [];
    for (let day = -1; day <= HORIZON_DAYS; day++) {
      const date = today + day * DAY_MS;
      if (!this.days.has(new Date(date).getUTCDay())) continue;
      const openAt = zone.instant(date + this.openTime);
      const closeAt = zone.instant(date + (overnight ? DAY_MS : 0) + this.closeTime);
      const openEnded = day === HORIZON_DAYS;
      const last = sessions.at(-1);
      if (last !== undefined && openAt <= last.closeAt) {
        sessions[sessions.length - 1] = { openAt: last.openAt, closeAt, openEnded };
      } else {
        sessions.push({ openAt, closeAt, openEnded });
      }
    }
    return sessions;
  }
}

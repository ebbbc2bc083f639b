// Off the hot path, once a second: announces each trading window's phase changes (journal, log,
// status) and, in a window's flatten phase, closes the positions of its symbols through the gates.

import type { Clock } from '../../core/clock.js';
import type { LivegateEvent } from '../../core/events.js';
import type { TradingWindowPhase } from '../../core/risk-snapshot.js';
import type { TradingWindow, TradingWindowStatus } from './trading-window.js';
import type { TradingWindows } from './trading-windows.js';

/** How often phases are looked at: a flatten starts at most this late, and is retried this often. */
export const WINDOW_WATCH_INTERVAL_MS = 1_000;

export interface TradingWindowWatchWiring {
  readonly windows: TradingWindows;
  readonly clock: Clock;
  readonly engineId: string;
  readonly emit: (event: LivegateEvent) => void;
  /**
   * engine.flatten limited to some symbols: market orders that close their positions through
   * gates 2 and 3 (working orders that already close part are counted); returns how many.
   */
  readonly flatten: (reason: string, only: (symbol: string) => boolean) => number;
}

export class TradingWindowWatch {
  private readonly announced = new Map<TradingWindow, TradingWindowPhase>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly wiring: TradingWindowWatchWiring) {}

  /** Every window now: announce changes, flatten what is in a flatten phase. Tests call it directly. */
  check(): void {
    const { windows, clock } = this.wiring;
    const now = clock.now();
    const flattening: TradingWindow[] = [];
    for (const window of windows.configured) {
      const status = window.statusAt(now);
      const before = this.announced.get(window);
      if (before !== status.phase) {
        this.announced.set(window, status.phase);
        this.announce(window, status, before ?? null, now);
      }
      if (status.phase === 'flattening') flattening.push(window);
    }
    if (flattening.length === 0) return;
    // Again every interval: fills of orders that were resting, or a flatten order denied, leave
    // something to close; what working orders already close is not sent twice.
    const reason = flattening
      .map(
        (window) =>
          `trading window ${window.name} closes at ${iso(window.statusAt(now).nextClose)}`,
      )
      .join('; ');
    // A symbol's schedule may join its desk's window with the firm's: either one flattening it
    // (and neither closed) puts it in its flatten phase.
    this.wiring.flatten(
      reason,
      (symbol) => windows.forSymbol(symbol).statusAt(now).phase === 'flattening',
    );
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.checkOnTimer(), WINDOW_WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private announce(
    window: TradingWindow,
    status: TradingWindowStatus,
    previousPhase: TradingWindowPhase | null,
    now: number,
  ): void {
    const timeZone = window.timeZone ?? 'UTC';
    this.wiring.emit({
      type: 'TradingWindowChanged',
      time: now,
      engineId: this.wiring.engineId,
      window: window.name,
      phase: status.phase,
      previousPhase,
      timeZone,
      nextOpen: status.nextOpen,
      nextClose: status.nextClose,
      message: `trading window ${window.name} (${timeZone}) ${describe(status)}${previousPhase === null ? ' at the start of the run' : ''}`,
    });
  }

  private checkOnTimer(): void {
    try {
      this.check();
    } catch (error) {
      // A throwing sink must not stop the timer: the next check may be the flatten that matters.
      process.emitWarning(`livegate trading window check failed: ${String(error)}`);
    }
  }
}

function describe(status: TradingWindowStatus): string {
  switch (status.phase) {
    case 'open':
      return `open until ${iso(status.flattenAt ?? status.nextClose)}`;
    case 'flattening':
      return `flattening: no new exposure, positions closed before ${iso(status.nextClose)}`;
    case 'closed':
      return `closed: no new exposure until ${iso(status.nextOpen)}`;
  }
}

function iso(epochMs: number | null): string {
  return epochMs === null ? 'further than a week' : new Date(epochMs).toISOString();
}

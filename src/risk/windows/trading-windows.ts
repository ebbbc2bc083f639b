// Which trading window each symbol follows: its own, none (alwaysOpen), or the default; all of them for
// the status and the flatten watch.

import type { TradingWindowSnapshot } from '../../core/risk-snapshot.js';
import { TradingWindow } from './trading-window.js';
import type { TradingWindowsOptions } from './trading-window-options.js';

export class TradingWindows {
  /** Shared by every symbol without a window: open forever, never refreshed. */
  private readonly always = new TradingWindow('always', undefined);
  private readonly fallback: TradingWindow;
  private readonly bySymbol = new Map<string, TradingWindow>();
  /** The configured windows, default first. */
  readonly configured: readonly TradingWindow[];

  constructor(options: TradingWindowsOptions = { symbols: {}, alwaysOpen: [] }) {
    this.fallback =
      options.default === undefined ? this.always : new TradingWindow('default', options.default);
    for (const symbol of options.alwaysOpen) this.bySymbol.set(symbol, this.always);
    for (const [symbol, own] of Object.entries(options.symbols)) {
      this.bySymbol.set(symbol, new TradingWindow(symbol, own));
    }
    this.configured = [this.fallback, ...this.bySymbol.values()].filter(
      (window) => window.options !== undefined,
    );
  }

  get any(): boolean {
    return this.configured.length > 0;
  }

  forSymbol(symbol: string): TradingWindow {
    return this.bySymbol.get(symbol) ?? this.fallback;
  }

  snapshot(now: number): TradingWindowSnapshot[] {
    return this.configured.map((window) => ({
      window: window.name,
      timeZone: window.timeZone ?? 'UTC',
      ...window.statusAt(now),
    }));
  }
}

// Which trading window each symbol follows: its own, none (alwaysOpen), or the default, in two
// layers: the firm's (risk.tradingWindows) and the engine's desk's (risk.tradingWindows.desks.<desk>),
// joined so that new exposure needs both open. All of them for the status and the flatten watch.

import type { TradingWindowSnapshot } from '../../core/risk-snapshot.js';
import { JointTradingWindow } from './joint-trading-window.js';
import { TradingWindow, type TradingSchedule } from './trading-window.js';
import type { DeskTradingWindowsOptions, TradingWindowsOptions } from './trading-window-options.js';

/** One layer's windows by symbol: a symbol's own, `always` for alwaysOpen ones, else the default. */
class WindowLayer {
  readonly fallback: TradingWindow;
  readonly bySymbol = new Map<string, TradingWindow>();

  constructor(options: DeskTradingWindowsOptions, always: TradingWindow, prefix: string) {
    this.fallback =
      options.default === undefined
        ? always
        : new TradingWindow(prefix === '' ? 'default' : prefix, options.default);
    for (const symbol of options.alwaysOpen) this.bySymbol.set(symbol, always);
    for (const [symbol, own] of Object.entries(options.symbols)) {
      this.bySymbol.set(
        symbol,
        new TradingWindow(`${prefix}${prefix === '' ? '' : '/'}${symbol}`, own),
      );
    }
  }

  forSymbol(symbol: string): TradingWindow {
    return this.bySymbol.get(symbol) ?? this.fallback;
  }

  get windows(): TradingWindow[] {
    return [this.fallback, ...this.bySymbol.values()];
  }
}

export class TradingWindows {
  /** Shared by every symbol without a window: open forever, never refreshed. */
  private readonly always = new TradingWindow('always', undefined);
  private readonly firm: WindowLayer;
  private readonly desk: WindowLayer | undefined;
  /** One joint schedule per (desk window, firm window) pair, so symbols sharing both share it. */
  private readonly joints = new Map<TradingWindow, Map<TradingWindow, JointTradingWindow>>();
  /** The configured windows, firm default first, then the desk's. */
  readonly configured: readonly TradingWindow[];

  constructor(
    options: TradingWindowsOptions = { symbols: {}, alwaysOpen: [], desks: {} },
    /** engine.desk: its desk's windows apply too; null or a desk without windows: the firm's only. */
    desk: string | null = null,
  ) {
    this.firm = new WindowLayer(options, this.always, '');
    const deskOptions =
      desk !== null && Object.hasOwn(options.desks, desk) ? options.desks[desk] : undefined;
    this.desk =
      deskOptions === undefined
        ? undefined
        : new WindowLayer(deskOptions, this.always, `desk:${desk}`);
    this.configured = [...this.firm.windows, ...(this.desk?.windows ?? [])].filter(
      (window) => window.options !== undefined,
    );
  }

  get any(): boolean {
    return this.configured.length > 0;
  }

  forSymbol(symbol: string): TradingSchedule {
    const firm = this.firm.forSymbol(symbol);
    const desk = this.desk?.forSymbol(symbol) ?? this.always;
    if (desk === this.always) return firm;
    if (firm === this.always) return desk;
    let byFirm = this.joints.get(desk);
    if (byFirm === undefined) {
      byFirm = new Map<TradingWindow, JointTradingWindow>();
      this.joints.set(desk, byFirm);
    }
    let joint = byFirm.get(firm);
    if (joint === undefined) byFirm.set(firm, (joint = new JointTradingWindow(desk, firm)));
    return joint;
  }

  snapshot(now: number): TradingWindowSnapshot[] {
    return this.configured.map((window) => ({
      window: window.name,
      timeZone: window.timeZone ?? 'UTC',
      ...window.statusAt(now),
    }));
  }
}

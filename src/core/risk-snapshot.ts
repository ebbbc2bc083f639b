// What the risk monitor knows right now, published with heartbeats and shown by `livegate status`.

export type RiskAction = 'engage' | 'reduce' | 'alert';

export interface PositionSnapshot {
  readonly symbol: string;
  /** Signed: positive long, negative short. */
  readonly quantity: number;
  readonly averagePrice: number;
  /** Latest mid used to mark the position (0 if none seen yet). */
  readonly markPrice: number;
  /** In the account currency (0 while the quote currency has no rate). */
  readonly unrealizedPnl: number;
  /** The currency the prices are in. */
  readonly quoteCurrency?: string;
  /**
   * Set when its rate cannot back new exposure: `stale` (valued at the last known rate) or
   * `missing` (no rate ever known: left out of the totals).
   */
  readonly conversionRate?: 'stale' | 'missing';
}

export interface StaleConversionRate {
  readonly currency: string;
  /** Account currency per unit, from the last usable quotes; what positions are valued at. */
  readonly lastRate: number;
  /** How old those quotes are (at most); null when not yet measured (a bad quote before any sweep). */
  readonly ageMs: number | null;
}

/** `flattening`: the last flattenMinutesBeforeClose of a window; no new exposure, positions closed. */
export type TradingWindowPhase = 'open' | 'flattening' | 'closed';

export interface TradingWindowSnapshot {
  /** `default` (every symbol without its own window) or the symbol the window is configured for. */
  readonly window: string;
  readonly timeZone: string;
  readonly phase: TradingWindowPhase;
  /** Epoch ms; null while open (or none within a week). */
  readonly nextOpen: number | null;
  /** Epoch ms of the current or next session's close; null if further than a week. */
  readonly nextClose: number | null;
  /** Epoch ms the flatten phase starts; null without flattenMinutesBeforeClose. */
  readonly flattenAt: number | null;
}

export interface RuleStatus {
  readonly rule: string;
  readonly action: RiskAction;
  /** The measured value in the rule's unit (currency, orders, ms, ratio...). */
  readonly value: number;
  readonly threshold: number;
  /** value / threshold. Some rules trip only strictly above 1 or after a minimum sample; `tripped` is authoritative. */
  readonly utilization: number;
  readonly tripped: boolean;
  /**
   * The highest warning level (risk.monitor.warnings.levels, 0.5/0.75/0.9) the utilization is at
   * now, 0 below the lowest; absent for rules without warnings.
   */
  readonly warningLevel?: number;
}

export interface RiskSnapshot {
  readonly positions: readonly PositionSnapshot[];
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  /** realized + unrealized since the start of the trading day (risk.tradingDay, 00:00 UTC by default). */
  readonly dailyPnl: number;
  readonly equityPeak: number;
  /** equityPeak − current equity (≥ 0). */
  readonly drawdown: number;
  readonly grossExposure: number;
  /** The currency of every amount above (PnL, peak, drawdown, exposure). */
  readonly accountCurrency?: string;
  /**
   * Currencies a known symbol, a position or an amount needs that no rate was ever known for (feed
   * or config): the totals leave them out, and the pre-trade chain denies orders that need them
   * (NO_CONVERSION_RATE).
   */
  readonly missingConversionRates?: readonly string[];
  /**
   * Currencies whose feed rate is stale (older than risk.conversionRateMaxAgeMs, or its pair's last
   * quote was bad) with no configured one: valued at the last rate, new exposure denied.
   */
  readonly staleConversionRates?: readonly StaleConversionRate[];
  readonly rules: readonly RuleStatus[];
  /** Configured trading windows (risk.tradingWindows) and where each stands. */
  readonly tradingWindows?: readonly TradingWindowSnapshot[];
}

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
}

export interface RiskSnapshot {
  readonly positions: readonly PositionSnapshot[];
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  /** realized + unrealized since the start of the trading day (UTC). */
  readonly dailyPnl: number;
  readonly equityPeak: number;
  /** equityPeak − current equity (≥ 0). */
  readonly drawdown: number;
  readonly grossExposure: number;
  /** The currency of every amount above (PnL, peak, drawdown, exposure). */
  readonly accountCurrency?: string;
  /**
   * Currencies holding a position or an amount that no rate converts (feed or config): the totals
   * leave them out, and the pre-trade chain denies orders that need them (NO_CONVERSION_RATE).
   */
  readonly missingConversionRates?: readonly string[];
  readonly rules: readonly RuleStatus[];
}

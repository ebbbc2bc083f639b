// What the risk monitor journals to survive a restart (RiskStateRecorded) and restores from.

export interface RecordedPosition {
  readonly symbol: string;
  /** Signed: positive long, negative short. */
  readonly quantity: number;
  readonly averagePrice: number;
  /** Latest mid when recorded (0 if none seen). */
  readonly markPrice: number;
}

export interface RiskState {
  /** `YYYY-MM-DD` on which the trading day started (risk.tradingDay). */
  readonly tradingDay: string;
  /** Equity, in the account currency, at the first sample of that trading day. */
  readonly dayStartEquity: number;
  readonly equityPeak: number;
  /** Realized P&L and fees per currency, in that currency, since the journal began. */
  readonly balances: Readonly<Record<string, number>>;
  readonly positions: readonly RecordedPosition[];
  /** Rules tripped in a breach episode still open: a restart neither repeats nor forgets them. */
  readonly openRules: readonly string[];
}

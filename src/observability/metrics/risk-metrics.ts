// Positions, PnL, drawdown, exposure and each rule's headroom from the risk monitor's snapshot, in
// the account currency.
// Without a risk monitor there is no snapshot and these metrics have no samples at all: a flat
// book reports 0, an unmonitored one reports nothing, so dashboards never confuse the two.

import type { Gauge } from 'prom-client';
import type { RiskSnapshot } from '../../core/risk-snapshot.js';
import type { MetricFactory } from './metric-factory.js';

type ScalarField = Exclude<
  keyof RiskSnapshot,
  | 'positions'
  | 'rules'
  | 'accountCurrency'
  | 'missingConversionRates'
  | 'staleConversionRates'
  | 'tradingWindows'
>;

/** Metric name and help per snapshot figure; exhaustive, so a new figure cannot be forgotten. */
const SCALARS: Readonly<Record<ScalarField, readonly [name: string, help: string]>> = {
  realizedPnl: [
    'realized_profit_and_loss',
    'Realized profit and loss since the risk monitor started.',
  ],
  unrealizedPnl: ['unrealized_profit_and_loss', 'Unrealized profit and loss at the latest marks.'],
  dailyPnl: [
    'daily_profit_and_loss',
    'Realized plus unrealized profit and loss since the start of the trading day (risk.tradingDay).',
  ],
  equityPeak: [
    'equity_peak',
    'Highest equity (realized plus unrealized) sampled since the risk monitor started.',
  ],
  drawdown: ['drawdown', 'Equity peak minus current equity (never negative).'],
  grossExposure: [
    'gross_exposure',
    'Sum over open positions of absolute quantity times contract size times mark price, in the account currency.',
  ],
};

export class RiskMetrics {
  private readonly positions: Gauge<'symbol'>;
  private readonly ruleUtilization: Gauge<'rule' | 'action'>;
  private readonly ruleTripped: Gauge<'rule' | 'action'>;
  private readonly ruleWarningLevel: Gauge<'rule' | 'action'>;
  private readonly scalars: readonly (readonly [ScalarField, Gauge])[];
  private readonly windowPhase: Gauge<'window' | 'phase'>;

  constructor(metrics: MetricFactory) {
    this.positions = metrics.gauge(
      'position_quantity',
      'Signed open position per symbol: positive long, negative short.',
      ['symbol'],
    );
    this.ruleUtilization = metrics.gauge(
      'risk_rule_utilization_ratio',
      "Each risk rule's measured value over its threshold (1 is at the limit), by rule and the action it takes.",
      ['rule', 'action'],
    );
    this.ruleTripped = metrics.gauge(
      'risk_rule_tripped',
      '1 while a risk rule is tripped (authoritative: some rules trip only strictly above 1 or after a minimum sample), by rule and action.',
      ['rule', 'action'],
    );
    this.ruleWarningLevel = metrics.gauge(
      'risk_rule_warning_level',
      "The warning level (risk.monitor.warnings.levels: 0.5, 0.75, 0.9) each warning rule's utilization is at now, 0 below the lowest, by rule and action.",
      ['rule', 'action'],
    );
    this.windowPhase = metrics.gauge(
      'trading_window_phase',
      'One sample per configured trading window (risk.tradingWindows), 1 in its current phase: open, flattening (no new exposure, positions closed) or closed.',
      ['window', 'phase'],
    );
    this.scalars = (Object.keys(SCALARS) as ScalarField[]).map((field) => {
      const [name, help] = SCALARS[field];
      return [field, metrics.gauge(name, help)] as const;
    });
  }

  update(snapshot: RiskSnapshot | undefined): void {
    this.positions.reset();
    this.ruleUtilization.reset();
    this.ruleTripped.reset();
    this.ruleWarningLevel.reset();
    this.windowPhase.reset();
    if (snapshot === undefined) {
      // remove() without labels drops an unlabelled gauge's only sample.
      for (const [, gauge] of this.scalars) gauge.remove();
      return;
    }
    for (const position of snapshot.positions) {
      this.positions.set({ symbol: position.symbol }, position.quantity);
    }
    for (const rule of snapshot.rules) {
      const labels = { rule: rule.rule, action: rule.action };
      this.ruleUtilization.set(labels, rule.utilization);
      this.ruleTripped.set(labels, rule.tripped ? 1 : 0);
      if (rule.warningLevel !== undefined) this.ruleWarningLevel.set(labels, rule.warningLevel);
    }
    for (const window of snapshot.tradingWindows ?? []) {
      this.windowPhase.set({ window: window.window, phase: window.phase }, 1);
    }
    for (const [field, gauge] of this.scalars) gauge.set(snapshot[field]);
  }
}

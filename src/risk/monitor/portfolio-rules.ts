// Rules on the portfolio: daily loss, drawdown from the equity peak, gross exposure and position size.

import type { RiskAction } from '../../core/risk-snapshot.js';
import type { Portfolio } from './portfolio.js';
import { money, type RiskRule } from './risk-rule.js';

interface LimitOptions {
  readonly action: RiskAction;
  readonly limit: number;
}

/** Value is the day's loss as a positive number, so utilization reads like every other rule's. */
export class DailyLossRule implements RiskRule {
  readonly name = 'dailyLoss';
  readonly action: RiskAction;
  readonly threshold: number;

  constructor(
    options: LimitOptions,
    private readonly portfolio: Portfolio,
  ) {
    this.action = options.action;
    this.threshold = options.limit;
  }

  measure(): number {
    return -this.portfolio.dailyPnl;
  }

  breached(loss: number): boolean {
    return loss >= this.threshold;
  }

  describe(loss: number): string {
    return `dailyLoss: daily PnL ${money(-loss)} breached limit ${this.threshold}`;
  }
}

export class MaxDrawdownRule implements RiskRule {
  readonly name = 'maxDrawdown';
  readonly action: RiskAction;
  readonly threshold: number;

  constructor(
    options: LimitOptions,
    private readonly portfolio: Portfolio,
  ) {
    this.action = options.action;
    this.threshold = options.limit;
  }

  measure(): number {
    return this.portfolio.drawdown;
  }

  breached(drawdown: number): boolean {
    return drawdown >= this.threshold;
  }

  describe(drawdown: number): string {
    const peak = this.portfolio.equityPeak;
    return `maxDrawdown: drawdown ${money(drawdown)} from equity peak ${money(peak)} breached limit ${this.threshold}`;
  }
}

/**
 * The monitor's side of `maxGrossExposure`: filled positions marked to the latest mids, so a move
 * in prices (which the pre-trade chain cannot deny) is seen too.
 */
export class GrossExposureRule implements RiskRule {
  readonly name = 'grossExposure';
  readonly action: RiskAction;
  readonly threshold: number;

  constructor(
    options: LimitOptions,
    private readonly portfolio: Portfolio,
  ) {
    this.action = options.action;
    this.threshold = options.limit;
  }

  measure(): number {
    return this.portfolio.grossExposure;
  }

  breached(exposure: number): boolean {
    return exposure >= this.threshold;
  }

  describe(exposure: number): string {
    return `grossExposure: gross exposure ${money(exposure)} breached limit ${this.threshold}`;
  }
}

/** Value is the largest |position| in any symbol; the limit itself is still allowed. */
export class PositionLimitRule implements RiskRule {
  readonly name = 'positionLimit';
  readonly action: RiskAction;
  readonly threshold: number;

  constructor(
    options: LimitOptions,
    private readonly portfolio: Portfolio,
  ) {
    this.action = options.action;
    this.threshold = options.limit;
  }

  measure(): number {
    return Math.abs(this.portfolio.largestPosition()?.quantity ?? 0);
  }

  breached(size: number): boolean {
    return size > this.threshold;
  }

  describe(size: number): string {
    const largest = this.portfolio.largestPosition();
    const where =
      largest === undefined ? 'position' : `${largest.symbol} position ${largest.quantity}`;
    return `positionLimit: ${where} (size ${size}) exceeds limit ${this.threshold}`;
  }
}

// What every monitor rule offers, and the latch that makes a rule trip once per breach episode.

import type { RiskAction, RuleStatus } from '../../core/risk-snapshot.js';

export const RULE_NAMES = [
  'dailyLoss',
  'maxDrawdown',
  'grossExposure',
  'positionLimit',
  'orderRate',
  'rejectRate',
  'strategyErrors',
  'staleFeed',
  'eventLoopStall',
  'latencyP99',
  'venueDisconnected',
  'feedGaps',
  'reconciliation',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

export interface RiskRule {
  readonly name: RuleName;
  readonly action: RiskAction;
  /** Always > 0, so utilization = value / threshold is defined. */
  readonly threshold: number;
  /** Measures the rule now (`now` in monotonic ms) and returns the value in the rule's unit. */
  measure(now: number): number;
  /** Whether the value from the latest measure() is a breach (some rules also need enough samples). */
  breached(value: number): boolean;
  /** The kill-switch reason, with the measured numbers: `dailyLoss: daily PnL -1250.00 breached limit 1000`. */
  describe(value: number): string;
}

/** One rule plus what the monitor remembers about it between evaluations. */
export class RuleEpisode<R extends RiskRule = RiskRule> {
  value = 0;
  /** Tripped in the current breach episode: no further trips until re-armed. */
  tripped = false;

  constructor(readonly rule: R) {}

  /**
   * Measures and returns true when the rule must act: once when a breach starts, and again for as
   * long as the breach lasts whenever the kill switch no longer answers it (`answered` false: a
   * reset while the loss is still over the limit), so a reset never opens the gates on a breach.
   * An alert fires once per episode. Back under the threshold, the rule re-arms.
   */
  check(now: number, answered: (action: RiskAction) => boolean): boolean {
    this.value = this.rule.measure(now);
    const breached = this.rule.breached(this.value);
    if (!breached) {
      this.tripped = false;
      return false;
    }
    if (!this.tripped) {
      this.tripped = true;
      return true;
    }
    return this.rule.action !== 'alert' && !answered(this.rule.action);
  }

  status(): RuleStatus {
    const { name, action, threshold } = this.rule;
    return {
      rule: name,
      action,
      value: this.value,
      threshold,
      utilization: this.value / threshold,
      tripped: this.tripped,
    };
  }
}

/** Currency amounts in reasons. */
export function money(value: number): string {
  return value.toFixed(2);
}

/** Durations and ratios in reasons: one decimal is enough to read, integers stay integers. */
export function brief(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

// Builds the configured rules, keeping a typed handle on each so events can feed the right one.

import { LatencyP99Rule, OrderRateRule, RejectRateRule } from './order-flow-rules.js';
import { EventLoopStallRule, StaleFeedRule, StrategyErrorsRule } from './health-rules.js';
import {
  DailyLossRule,
  GrossExposureRule,
  MaxDrawdownRule,
  PositionLimitRule,
} from './portfolio-rules.js';
import { VenueDisconnectedRule, VenueEventCountRule } from './venue-rules.js';
import type { Portfolio } from './portfolio.js';
import { RuleEpisode } from './risk-rule.js';
import type { ResolvedRiskMonitorOptions } from './risk-monitor-options.js';

export interface RuleSet {
  /** Every configured rule, in a fixed order (the order of RiskSnapshot.rules). */
  readonly all: readonly RuleEpisode[];
  /** Rules on the portfolio, checked on every fill. */
  readonly portfolio: readonly RuleEpisode[];
  readonly orderRate: RuleEpisode<OrderRateRule> | undefined;
  readonly rejectRate: RuleEpisode<RejectRateRule> | undefined;
  readonly latencyP99: RuleEpisode<LatencyP99Rule> | undefined;
  readonly strategyErrors: RuleEpisode<StrategyErrorsRule> | undefined;
  readonly staleFeed: RuleEpisode<StaleFeedRule> | undefined;
  readonly eventLoopStall: RuleEpisode<EventLoopStallRule> | undefined;
  readonly venueDisconnected: RuleEpisode<VenueDisconnectedRule> | undefined;
  readonly feedGaps: RuleEpisode<VenueEventCountRule> | undefined;
  readonly reconciliation: RuleEpisode<VenueEventCountRule> | undefined;
}

/** `now` is monotonic ms: where the stale-feed clock starts. */
export function createRuleSet(
  options: ResolvedRiskMonitorOptions,
  portfolio: Portfolio,
  now: number,
): RuleSet {
  const { rules, evaluationIntervalMs } = options;
  const episode = <R extends RuleEpisode['rule']>(rule: R | undefined) =>
    rule === undefined ? undefined : new RuleEpisode(rule);
  const portfolioRules = [
    episode(rules.dailyLoss && new DailyLossRule(rules.dailyLoss, portfolio)),
    episode(rules.maxDrawdown && new MaxDrawdownRule(rules.maxDrawdown, portfolio)),
    episode(rules.grossExposure && new GrossExposureRule(rules.grossExposure, portfolio)),
    episode(rules.positionLimit && new PositionLimitRule(rules.positionLimit, portfolio)),
  ].filter(isDefined);
  const set = {
    portfolio: portfolioRules,
    orderRate: episode(rules.orderRate && new OrderRateRule(rules.orderRate)),
    rejectRate: episode(rules.rejectRate && new RejectRateRule(rules.rejectRate)),
    latencyP99: episode(rules.latencyP99 && new LatencyP99Rule(rules.latencyP99)),
    strategyErrors: episode(rules.strategyErrors && new StrategyErrorsRule(rules.strategyErrors)),
    staleFeed: episode(rules.staleFeed && new StaleFeedRule(rules.staleFeed, now)),
    eventLoopStall: episode(
      rules.eventLoopStall && new EventLoopStallRule(rules.eventLoopStall, evaluationIntervalMs),
    ),
    venueDisconnected: episode(
      rules.venueDisconnected && new VenueDisconnectedRule(rules.venueDisconnected),
    ),
    feedGaps: episode(rules.feedGaps && new VenueEventCountRule('feedGaps', rules.feedGaps)),
    reconciliation: episode(
      rules.reconciliation && new VenueEventCountRule('reconciliation', rules.reconciliation),
    ),
  };
  const all = [
    ...portfolioRules,
    set.orderRate,
    set.rejectRate,
    set.strategyErrors,
    set.staleFeed,
    set.eventLoopStall,
    set.latencyP99,
    set.venueDisconnected,
    set.feedGaps,
    set.reconciliation,
  ].filter(isDefined);
  return { ...set, all };
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

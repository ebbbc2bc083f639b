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
import { RuleEpisode, type RiskRule, type RuleName } from './risk-rule.js';
import type { ResolvedRiskMonitorOptions, ResolvedRules } from './risk-monitor-options.js';

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

/** The rules a set was built from and the set, when new limits replace them on a running monitor. */
export interface PreviousRules {
  readonly rules: ResolvedRules;
  readonly set: RuleSet;
}

/**
 * `now` is monotonic ms: where the stale-feed clock starts. With `previous`, a rule whose options
 * did not change keeps its episode (windows, samples, latch); a changed one starts afresh but
 * stays tripped if it was, so a breach already acted on is not acted on twice.
 */
export function createRuleSet(
  options: ResolvedRiskMonitorOptions,
  portfolio: Portfolio,
  now: number,
  previous?: PreviousRules,
): RuleSet {
  const { rules, evaluationIntervalMs } = options;
  const episode = <R extends RiskRule>(
    name: RuleName,
    make: () => R | undefined,
  ): RuleEpisode<R> | undefined => {
    const old = previous?.set.all.find((candidate) => candidate.rule.name === name);
    if (old !== undefined && sameOptions(previous?.rules[name], rules[name])) {
      return old as RuleEpisode<R>;
    }
    const rule = make();
    if (rule === undefined) return undefined;
    const fresh = new RuleEpisode(rule);
    fresh.tripped = old?.tripped ?? false;
    return fresh;
  };
  const portfolioRules = [
    episode('dailyLoss', () => rules.dailyLoss && new DailyLossRule(rules.dailyLoss, portfolio)),
    episode(
      'maxDrawdown',
      () => rules.maxDrawdown && new MaxDrawdownRule(rules.maxDrawdown, portfolio),
    ),
    episode(
      'grossExposure',
      () => rules.grossExposure && new GrossExposureRule(rules.grossExposure, portfolio),
    ),
    episode(
      'positionLimit',
      () => rules.positionLimit && new PositionLimitRule(rules.positionLimit, portfolio),
    ),
  ].filter(isDefined);
  const set = {
    portfolio: portfolioRules,
    orderRate: episode('orderRate', () => rules.orderRate && new OrderRateRule(rules.orderRate)),
    rejectRate: episode(
      'rejectRate',
      () => rules.rejectRate && new RejectRateRule(rules.rejectRate),
    ),
    latencyP99: episode(
      'latencyP99',
      () => rules.latencyP99 && new LatencyP99Rule(rules.latencyP99),
    ),
    strategyErrors: episode(
      'strategyErrors',
      () => rules.strategyErrors && new StrategyErrorsRule(rules.strategyErrors),
    ),
    staleFeed: episode(
      'staleFeed',
      () => rules.staleFeed && new StaleFeedRule(rules.staleFeed, now),
    ),
    eventLoopStall: episode(
      'eventLoopStall',
      () =>
        rules.eventLoopStall && new EventLoopStallRule(rules.eventLoopStall, evaluationIntervalMs),
    ),
    venueDisconnected: episode(
      'venueDisconnected',
      () => rules.venueDisconnected && new VenueDisconnectedRule(rules.venueDisconnected),
    ),
    feedGaps: episode(
      'feedGaps',
      () => rules.feedGaps && new VenueEventCountRule('feedGaps', rules.feedGaps),
    ),
    reconciliation: episode(
      'reconciliation',
      () => rules.reconciliation && new VenueEventCountRule('reconciliation', rules.reconciliation),
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

/** Rule options are flat objects of numbers, strings and booleans. */
function sameOptions(a: object | undefined, b: object | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const text = (value: object) => JSON.stringify(Object.entries(value).sort());
  return text(a) === text(b);
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

// The live risk monitor: watches fills, orders and the feed, and trips the kill switch by itself.

import { systemClock, type Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import type { LivegateEvent, OrderFilled, VenueReported } from '../../core/events.js';
import type { RiskState } from '../../core/risk-state.js';
import type { RiskAction, RiskSnapshot } from '../../core/risk-snapshot.js';
import type { Tick } from '../../core/types.js';
import type { EnforcedKillSwitch } from '../../killswitch/enforced-kill-switch.js';
import type { ConversionRates } from '../conversion-rates.js';
import type { EventObserver, TickObserver } from '../risk-ports.js';
import { Portfolio } from './portfolio.js';
import type { RuleEpisode } from './risk-rule.js';
import {
  parseRiskMonitorOptions,
  type ResolvedRiskMonitorOptions,
  type ResolvedRules,
  type RiskMonitorOptions,
} from './risk-monitor-options.js';
import { createRuleSet, type RuleSet } from './rule-set.js';
import { RuleWarnings } from './rule-warnings.js';
import { TripActions } from './trip-actions.js';
import type { TradingDay } from './trading-day.js';

/** A peak that keeps rising between fills is journaled at most this often. */
const RECORD_PEAK_EVERY_MS = 1_000;

export interface RiskMonitorWiring {
  readonly killSwitch: EnforcedKillSwitch;
  readonly engineId: string;
  /** Default systemClock; tests pass a ManualClock. */
  readonly clock?: Clock;
  /** The engine's bus: RiskLimitBreached goes here. */
  readonly emit: (event: LivegateEvent) => void;
  /** engine.flatten: reduce-only orders through the normal gates; returns how many were submitted. */
  readonly flatten?: (reason: string) => number;
  /** How many of the last flatten's orders are still working (ENGAGED waits for 0 or flattenTimeoutMs). */
  readonly flattenOrdersWorking?: () => number;
  /** Instruments, account currency and configured rates; default a USD account, currencies from names. */
  readonly rates?: ConversionRates;
  /** Symbols the engine may trade: a currency none of them can be converted from is named at once. */
  readonly symbols?: readonly string[];
  /** Where the daily P&L restarts; default 00:00 UTC. */
  readonly tradingDay?: TradingDay;
  /**
   * Journal the restorable state (RiskStateRecorded) after fills and when the peak, the day or the
   * open rules change. Off by default: only an engine with a journal restores.
   */
  readonly recordState?: boolean;
}

/**
 * Ticks only move marks and the feed clock; rules run on fills, on order events (the cheap ones)
 * and on a timer, so a tick never waits for a rule.
 */
export class RiskMonitor implements TickObserver, EventObserver {
  /** As validated at construction; `rules` replaced by applyRules (live limits). */
  options: ResolvedRiskMonitorOptions;
  private readonly killSwitch: EnforcedKillSwitch;
  private readonly engineId: string;
  private readonly clock: Clock;
  private readonly emit: (event: LivegateEvent) => void;
  private readonly portfolio: Portfolio;
  private rules: RuleSet;
  private readonly actions: TripActions;
  private readonly warnings: RuleWarnings;
  private timer: NodeJS.Timeout | undefined;
  private readonly recordState: boolean;
  private recorded = { peak: 0, day: '', openRules: '', at: Number.NEGATIVE_INFINITY };

  constructor(options: RiskMonitorOptions, wiring: RiskMonitorWiring) {
    this.options = parseRiskMonitorOptions(options);
    if (this.options.flattenOnEngage && wiring.flatten === undefined) {
      throw new LivegateError(
        'ERR_CONFIG_INVALID',
        'Invalid RiskMonitor options: flattenOnEngage: needs a flatten callback (engine.flatten)',
        { details: { problems: [{ path: 'flattenOnEngage', message: 'no flatten callback' }] } },
      );
    }
    this.killSwitch = wiring.killSwitch;
    this.engineId = wiring.engineId;
    this.clock = wiring.clock ?? systemClock;
    this.emit = wiring.emit;
    this.portfolio = new Portfolio(this.clock, wiring.rates, wiring.symbols, wiring.tradingDay);
    this.recordState = wiring.recordState ?? false;
    this.rules = createRuleSet(this.options, this.portfolio, this.clock.monotonic());
    this.warnings = new RuleWarnings(this.options.warnings);
    this.actions = new TripActions({
      killSwitch: this.killSwitch,
      engineId: this.engineId,
      flattenOnEngage: this.options.flattenOnEngage,
      flatten: wiring.flatten,
      flattenOrdersWorking: wiring.flattenOrdersWorking,
      flattenTimeoutMs: this.options.flattenTimeoutMs,
      clock: this.clock,
    });
  }

  /** Hot path: a mark and the feed clock, O(1), no allocation once the symbol has been seen. */
  observeTick(tick: Tick): void {
    this.portfolio.observeTick(tick);
    this.rules.staleFeed?.rule.observeTick(tick.symbol, this.clock.monotonic());
  }

  onEvent(event: LivegateEvent): void {
    const { rules } = this;
    switch (event.type) {
      case 'OrderFilled': {
        this.portfolio.applyFill(event);
        const now = this.clock.monotonic();
        for (const episode of rules.portfolio) this.check(episode, now);
        this.record(now, true);
        return;
      }
      case 'OrderSubmitted': {
        const now = this.clock.monotonic();
        rules.orderRate?.rule.recordSubmitted(now);
        rules.rejectRate?.rule.recordSubmitted(now);
        rules.latencyP99?.rule.recordSubmitted(now, event.latencyNs);
        // An order means the strategy's last call succeeded; the engine has reset its count too.
        rules.strategyErrors?.rule.recordSuccess();
        this.check(rules.orderRate, now);
        return;
      }
      case 'OrderRejected': {
        const now = this.clock.monotonic();
        rules.rejectRate?.rule.recordRejected(now);
        this.check(rules.rejectRate, now);
        return;
      }
      case 'StrategyFailed':
        rules.strategyErrors?.rule.recordFailure(event.consecutiveErrors, event.message);
        this.check(rules.strategyErrors, this.clock.monotonic());
        return;
      case 'RunStarted':
        rules.staleFeed?.rule.restart(this.clock.monotonic());
        return;
      case 'RunStopped':
        // A finished feed is not a stale one.
        this.stop();
        return;
      case 'VenueReported':
        this.venueReported(event);
        return;
      case 'KillSwitchChanged':
        // A reset (or a loosening to REDUCING) is judged at once, before the next tick can trade:
        // a rule still in breach re-trips in the same turn instead of one evaluation later.
        if (event.enforcedState !== 'ENGAGED' && this.timer !== undefined) this.evaluate();
        return;
      case 'VenuePositionsAdopted':
        for (const { symbol, after } of event.changes) this.portfolio.adoptPosition(symbol, after);
        this.record(this.clock.monotonic(), true);
        return;
      case 'TickBlocked':
      case 'OrderDenied':
      case 'OrderDone':
      case 'OrdersCancelled':
      case 'KillSwitchFailedClosed':
      case 'BrokerFailed':
      case 'RiskLimitBreached':
      case 'RiskLimitApproached':
      case 'TradingWindowChanged':
      case 'JournalFailed':
      case 'Heartbeat':
      case 'RiskStateRecorded':
      case 'RiskStateRestored':
      case 'LimitsApplied':
      case 'LimitsApplyFailed':
      case 'EarlierOrderCancelled': // never counted as open here: its cancel changes no exposure
        return;
    }
  }

  private venueReported(event: VenueReported): void {
    const { rules } = this;
    const now = this.clock.monotonic();
    const connection = `${event.source} ${event.venue}`;
    switch (event.kind) {
      case 'disconnected':
        rules.venueDisconnected?.rule.recordDisconnected(connection, now);
        this.check(rules.venueDisconnected, now);
        return;
      case 'connected':
        rules.venueDisconnected?.rule.recordConnected(connection);
        return;
      case 'sequence-gap':
        rules.feedGaps?.rule.record(now, event.detail);
        this.check(rules.feedGaps, now);
        return;
      case 'reconciliation-mismatch':
        rules.reconciliation?.rule.record(now, event.detail);
        this.check(rules.reconciliation, now);
        return;
      case 'stale':
      case 'malformed-message':
      case 'dead-man-armed':
      case 'dead-man-failed':
      case 'connection-refused':
        return;
    }
  }

  /**
   * New rule limits (a live limits revision), off the hot path: unchanged rules keep their state,
   * changed ones start afresh. Nothing is judged here; `reevaluate()` then judges every rule.
   */
  applyRules(rules: ResolvedRules): void {
    const options = parseRiskMonitorOptions({ ...this.options, rules });
    const previous = { rules: this.options.rules, set: this.rules };
    const next = createRuleSet(options, this.portfolio, this.clock.monotonic(), previous);
    if (this.timer !== undefined && next.eventLoopStall !== previous.set.eventLoopStall) {
      previous.set.eventLoopStall?.rule.stop();
      next.eventLoopStall?.rule.start();
    }
    this.options = options;
    this.rules = next;
  }

  /** Judges every rule now if the monitor is running (before start, its first evaluation will). */
  reevaluate(): void {
    if (this.timer !== undefined) this.evaluate();
  }

  /** Every rule, now. The timer calls this; tests call it directly with a ManualClock. */
  evaluate(): void {
    const now = this.clock.monotonic();
    // Rates first: a stale one stops backing new exposure, and still values what is held.
    this.portfolio.rates.expire(now);
    this.portfolio.revalue();
    for (const episode of this.rules.all) this.check(episode, now);
    this.record(now, false);
  }

  /**
   * Takes over a state recorded by an earlier run of this engine, then the fills journaled after
   * it. Rules tripped then stay tripped (no second breach event, no repeated alert); one still in
   * breach re-trips at the first evaluation if the kill switch no longer answers it.
   */
  restore(state: RiskState, laterFills: readonly OrderFilled[] = []): void {
    this.portfolio.restore(state);
    for (const episode of this.rules.all) {
      if (state.openRules.includes(episode.rule.name)) episode.tripped = true;
    }
    for (const fill of laterFills) this.portfolio.applyFill(fill);
  }

  /** Signed positions held, for the engine's position book after a restore. */
  positions(): Map<string, number> {
    return this.portfolio.positions();
  }

  /** The trading day now, `YYYY-MM-DD` of its start. */
  tradingDay(): string {
    return this.portfolio.currentTradingDay();
  }

  /** The state a restart would restore now. */
  state(): RiskState {
    return this.portfolio.state(this.openRules());
  }

  private openRules(): string[] {
    return this.rules.all.filter((episode) => episode.tripped).map((episode) => episode.rule.name);
  }

  /** Journals the state after a fill, or when the open rules, the day or (at most 1/s) the peak moved. */
  private record(now: number, always: boolean): void {
    if (!this.recordState) return;
    const { recorded, portfolio } = this;
    const openRules = this.openRules().join(',');
    const day = portfolio.currentTradingDay();
    const peakMoved = portfolio.equityPeak !== recorded.peak;
    if (
      !always &&
      openRules === recorded.openRules &&
      day === recorded.day &&
      !(peakMoved && now - recorded.at >= RECORD_PEAK_EVERY_MS)
    ) {
      return;
    }
    this.recorded = { peak: portfolio.equityPeak, day, openRules, at: now };
    this.emit({
      type: 'RiskStateRecorded',
      time: this.clock.now(),
      engineId: this.engineId,
      state: this.state(),
    });
  }

  /** The evaluation timer (unref'd: it never keeps the process alive) and the event-loop sampler. */
  start(): void {
    if (this.timer !== undefined) return;
    this.rules.staleFeed?.rule.restart(this.clock.monotonic());
    this.rules.eventLoopStall?.rule.start();
    this.timer = setInterval(() => this.evaluateOnTimer(), this.options.evaluationIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.rules.eventLoopStall?.rule.stop();
  }

  /** Daily P&L and drawdown as of the last fill or evaluation (for the desk check; no allocation of a snapshot). */
  lossFigures(): { dailyPnl: number; drawdown: number } {
    return { dailyPnl: this.portfolio.dailyPnl, drawdown: this.portfolio.drawdown };
  }

  /** Positions and totals revalued now; rule values as of their last check. */
  snapshot(): RiskSnapshot {
    return {
      ...this.portfolio.snapshot(),
      rules: this.rules.all.map((episode) => this.warnings.status(episode)),
    };
  }

  /** Resolves once every kill-switch change the monitor has started has settled. */
  settled(): Promise<void> {
    return this.actions.settled();
  }

  private check(episode: RuleEpisode | undefined, now: number): void {
    if (episode === undefined) return;
    if (episode.check(now, this.answered)) this.trip(episode);
    const level = this.warnings.judge(episode);
    if (level !== undefined) {
      this.emit(this.warnings.event(episode, level, this.clock.now(), this.engineId));
    }
  }

  /** Whether the kill switch already does what a rule's action asks (a flatten under way counts). */
  private readonly answered = (action: RiskAction): boolean => {
    const state = this.killSwitch.state;
    if (action === 'reduce') return state !== 'SAFE';
    return state === 'ENGAGED' || (state === 'REDUCING' && this.actions.flattening);
  };

  private trip(episode: RuleEpisode): void {
    const { rule, value } = episode;
    const state = this.killSwitch.state;
    // A breach under a kill already in force writes nothing to the switch: the event says so, so
    // the operator sees it (journal, alert, status) before resetting; a reset re-trips it.
    const message =
      state === 'SAFE' || rule.action === 'alert'
        ? rule.describe(value)
        : `${rule.describe(value)} (kill switch already ${state}: a reset re-trips it while the breach lasts)`;
    try {
      // Emitted first so the journal shows the cause before the kill-switch change it causes.
      this.emit({
        type: 'RiskLimitBreached',
        time: this.clock.now(),
        engineId: this.engineId,
        rule: rule.name,
        action: rule.action,
        value,
        threshold: rule.threshold,
        message,
      });
    } finally {
      this.actions.run(rule.name, rule.action, message);
    }
  }

  private evaluateOnTimer(): void {
    try {
      this.evaluate();
    } catch (error) {
      // A throwing sink must not kill the timer: the next evaluation may be the one that matters.
      process.emitWarning(`livegate risk monitor evaluation failed: ${String(error)}`);
    }
  }
}

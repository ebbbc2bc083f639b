// The desk and firm guard: sums every engine's last known figures per desk and for the whole store
// and trips `desk:<name>` or `global` through the store, audited with each engine's share, when a
// sum reaches its limit. It never trades; several guards may run (an engage over ENGAGED is a no-op).

import { isDeepStrictEqual } from 'node:util';
import { systemClock, type Clock } from '../../core/clock.js';
import { GLOBAL_SCOPE } from '../../core/scopes.js';
import type { EngineReport } from '../../core/kill-switch-record.js';
import type { KillSwitchStore } from '../../core/ports.js';
import { messageOf } from '../../core/message-of.js';
import { engageDecision } from '../../killswitch/transitions.js';
import type { TradingDay } from '../monitor/trading-day.js';
import type { AggregateLimits } from './aggregate-limits.js';
import { aggregate, type Aggregate, type Contribution, type Measure } from './desk-aggregate.js';
import { EngineLedger, type KnownEngine, type LedgerEvent } from './engine-ledger.js';
import { OrderRateWindow } from './order-rate-window.js';
import { guardReason } from './guard-reason.js';

export const RISK_GUARD_TRIGGER = 'risk-guard';
const WARNING_PERCENTS = [50, 75, 90] as const;

export type GuardEvent =
  | LedgerEvent
  | {
      readonly type: 'limit-warning';
      readonly scope: string;
      readonly rule: string;
      readonly percent: number;
      readonly value: number;
      readonly limit: number;
    }
  | {
      readonly type: 'limit-breached';
      readonly scope: string;
      readonly rule: string;
      readonly value: number;
      readonly limit: number;
      readonly contributions: readonly Contribution[];
    }
  | { readonly type: 'limit-problem'; readonly scope: string; readonly problem: string }
  | {
      readonly type: 'limit-cleared';
      readonly scope: string;
      readonly rule: string;
      readonly value: number;
      readonly limit: number;
    }
  | {
      readonly type: 'scope-engaged';
      readonly scope: string;
      readonly revision: number;
      readonly changed: boolean;
      readonly reason: string;
    }
  | { readonly type: 'store-error'; readonly scope?: string; readonly message: string };

export interface RiskGuardOptions {
  /** Where the engine reports are listed from. */
  readonly reports: Pick<KillSwitchStore, 'listEngineReports'>;
  /** The store of one scope (desk:<name> or global), opened once and kept. */
  readonly scopeStore: (scope: string) => Promise<Pick<KillSwitchStore, 'update'>>;
  readonly desks: Readonly<Record<string, AggregateLimits>>;
  readonly firm: AggregateLimits | null;
  readonly accountCurrency: string;
  readonly conversionRates: Readonly<Record<string, number>>;
  readonly tradingDay: TradingDay;
  /** A report unchanged this long marks its engine silent (it still counts). */
  readonly staleAfterMs: number;
  /** Who the engage is recorded as. */
  readonly actor: string;
  readonly clock?: Clock;
  readonly onEvent?: (event: GuardEvent) => void;
}

interface ScopeWatch {
  readonly scope: string;
  /** null: every engine (the firm). */
  readonly desk: string | null;
  readonly limits: AggregateLimits;
  readonly orderRate: OrderRateWindow | null;
  /** Rules (and problems) in breach now: a rule is reported once per episode. */
  breached: Set<string>;
  /** Highest warning percent said per rule in this episode. */
  readonly warned: Map<string, number>;
  /** The engage of this episode is written or found in force. */
  engaged: boolean;
}

/** One watch per limited scope, desks first; a watch of `current` with equal limits is kept. */
function watchesFor(
  desks: Readonly<Record<string, AggregateLimits>>,
  firm: AggregateLimits | null,
  current: readonly ScopeWatch[],
): ScopeWatch[] {
  const watch = (scope: string, desk: string | null, limits: AggregateLimits): ScopeWatch => {
    const old = current.find((candidate) => candidate.scope === scope);
    if (old !== undefined && isDeepStrictEqual(old.limits, limits)) return old;
    const sameWindow =
      old?.orderRate != null && old.limits.orderRate?.windowMs === limits.orderRate?.windowMs;
    return {
      scope,
      desk,
      limits,
      orderRate: sameWindow
        ? old.orderRate
        : limits.orderRate === undefined
          ? null
          : new OrderRateWindow(limits.orderRate.windowMs),
      breached: old?.breached ?? new Set<string>(),
      warned: old?.warned ?? new Map<string, number>(),
      engaged: old?.engaged ?? false,
    };
  };
  const watches = Object.entries(desks).map(([desk, limits]) =>
    watch(`desk:${desk}`, desk, limits),
  );
  if (firm !== null) watches.push(watch(GLOBAL_SCOPE, null, firm));
  return watches;
}

export class RiskGuard {
  private readonly ledger: EngineLedger;
  private watches: ScopeWatch[];
  private readonly clock: Clock;

  constructor(private readonly options: RiskGuardOptions) {
    this.clock = options.clock ?? systemClock;
    this.ledger = new EngineLedger({
      staleAfterMs: options.staleAfterMs,
      tradingDay: options.tradingDay,
      clock: this.clock,
    });
    this.watches = watchesFor(options.desks, options.firm, []);
  }

  /**
   * Live limits changed desk or firm limits (`limits set desks.…`): judged from the next look on.
   * A scope whose limits changed keeps its episode (what is in breach, warned and engaged), so a
   * tightened limit already reached trips once, and a loosened one lets a reset stay reset; its
   * order-rate window is kept while the window's length is. Returns the scopes that changed.
   */
  applyLimits(
    desks: Readonly<Record<string, AggregateLimits>>,
    firm: AggregateLimits | null,
  ): string[] {
    const next = watchesFor(desks, firm, this.watches);
    const changed = [
      ...next.filter((watch) => !this.watches.includes(watch)).map((watch) => watch.scope),
      ...this.watches
        .filter((watch) => !next.some((kept) => kept.scope === watch.scope))
        .map((watch) => watch.scope),
    ];
    this.watches = next;
    return changed;
  }

  /** The scopes guarded, desks first. */
  get scopes(): string[] {
    return this.watches.map((watch) => watch.scope);
  }

  /** One look: list the reports, sum each scope, trip those over a limit. */
  async check(): Promise<void> {
    let reports: EngineReport[];
    try {
      reports = await this.options.reports.listEngineReports();
    } catch (error) {
      // Nothing new is known: the last known figures stand, and are judged again next time.
      this.emit({ type: 'store-error', message: messageOf(error) });
      return;
    }
    for (const event of this.ledger.update(reports)) this.emit(event);
    const engines = this.ledger.engines();
    for (const watch of this.watches) await this.evaluate(watch, engines);
  }

  /** The sum of one scope now (for tests and status), without its order rate. */
  aggregateOf(scope: string): Aggregate | undefined {
    const watch = this.watches.find((candidate) => candidate.scope === scope);
    if (watch === undefined) return undefined;
    return this.sum(this.membersOf(watch, this.ledger.engines()), watch.limits, null);
  }

  private membersOf(watch: ScopeWatch, engines: readonly KnownEngine[]): KnownEngine[] {
    return watch.desk === null
      ? [...engines]
      : engines.filter((engine) => engine.desk === watch.desk);
  }

  private sum(
    members: readonly KnownEngine[],
    limits: AggregateLimits,
    orderRate: number | null,
  ): Aggregate {
    return aggregate(members, limits, {
      accountCurrency: this.options.accountCurrency,
      conversionRates: this.options.conversionRates,
      orderRate,
    });
  }

  private async evaluate(watch: ScopeWatch, engines: readonly KnownEngine[]): Promise<void> {
    const members = this.membersOf(watch, engines);
    const orders = members.reduce((total, engine) => total + engine.orders, 0);
    const rate = watch.orderRate?.rate(this.clock.monotonic(), orders) ?? null;
    const sum = this.sum(members, watch.limits, rate);
    this.warn(watch, sum.measures);
    const breached = sum.measures.filter((measure) => measure.breached);
    const now = new Set([...breached.map((m) => m.rule), ...sum.problems]);
    for (const measure of breached) {
      if (watch.breached.has(measure.rule)) continue;
      const { rule, value, limit } = measure;
      this.emit({
        type: 'limit-breached',
        scope: watch.scope,
        rule,
        value,
        limit,
        contributions: sum.contributions,
      });
    }
    for (const problem of sum.problems)
      if (!watch.breached.has(problem))
        this.emit({ type: 'limit-problem', scope: watch.scope, problem });
    for (const measure of sum.measures) {
      if (measure.breached || !watch.breached.has(measure.rule)) continue;
      const { rule, value, limit } = measure;
      this.emit({ type: 'limit-cleared', scope: watch.scope, rule, value, limit });
    }
    watch.breached = now;
    if (now.size === 0) {
      watch.engaged = false;
      return;
    }
    await this.engage(watch, guardReason(watch.scope, this.options.accountCurrency, breached, sum));
  }

  /**
   * While in breach, every look asks the store for ENGAGED: a no-op once it is (another guard's
   * write included), and a re-trip after a reset that came while the sum is still over its limit.
   */
  private async engage(watch: ScopeWatch, reason: string): Promise<void> {
    try {
      const store = await this.options.scopeStore(watch.scope);
      const result = await store.update(
        engageDecision(reason, this.options.actor, RISK_GUARD_TRIGGER),
      );
      if (result.changed || !watch.engaged) {
        this.emit({
          type: 'scope-engaged',
          scope: watch.scope,
          revision: result.record.revision,
          changed: result.changed,
          reason: result.changed ? reason : result.record.reason,
        });
      }
      watch.engaged = true;
    } catch (error) {
      this.emit({ type: 'store-error', scope: watch.scope, message: messageOf(error) });
    }
  }

  /** 50, 75 and 90 % of a limit, each once per episode (until the value falls back under 50 %). */
  private warn(watch: ScopeWatch, measures: readonly Measure[]): void {
    for (const measure of measures) {
      const percent = (100 * measure.value) / measure.limit;
      if (percent < WARNING_PERCENTS[0]) {
        watch.warned.delete(measure.rule);
        continue;
      }
      if (measure.breached) continue;
      const level = WARNING_PERCENTS.filter((threshold) => percent >= threshold).at(-1) ?? 0;
      if (level <= (watch.warned.get(measure.rule) ?? 0)) continue;
      watch.warned.set(measure.rule, level);
      const { rule, value, limit } = measure;
      this.emit({ type: 'limit-warning', scope: watch.scope, rule, percent: level, value, limit });
    }
  }

  private emit(event: GuardEvent): void {
    this.options.onEvent?.(event);
  }
}

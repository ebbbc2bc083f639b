// An engine's view of the rest of its desk and of the firm, off the hot path: every interval it
// lists the other engines' reports from the store, sums them with the guard's own ledger and
// aggregate (silent and withdrawn engines at their last report, never zero; its own report left
// out, since its own figures are counted live) and writes the headroom the pre-trade chain reads.

import { isDeepStrictEqual } from 'node:util';
import { systemClock, type Clock } from '../../core/clock.js';
import type { EngineReport } from '../../core/kill-switch-record.js';
import { messageOf } from '../../core/message-of.js';
import type { KillSwitchStore } from '../../core/ports.js';
import { GLOBAL_SCOPE } from '../../core/scopes.js';
import type { AggregateLimits } from '../guard/aggregate-limits.js';
import { aggregate } from '../guard/desk-aggregate.js';
import { EngineLedger, type KnownEngine } from '../guard/engine-ledger.js';
import type { TradingDay } from '../monitor/trading-day.js';
import { AggregateHeadroom, AggregateHeadrooms } from './aggregate-headroom.js';

/** This engine's own loss figures now (its risk monitor), in the account currency. */
export interface OwnLossFigures {
  readonly dailyPnl: number;
  readonly drawdown: number;
}

export interface DeskViewOptions {
  readonly engineId: string;
  /** engine.desk; null: only the firm's limits can apply. */
  readonly desk: string | null;
  readonly desks: Readonly<Record<string, AggregateLimits>>;
  readonly firm: AggregateLimits | null;
  readonly reports: Pick<KillSwitchStore, 'listEngineReports'>;
  readonly accountCurrency: string;
  readonly conversionRates: Readonly<Record<string, number>>;
  readonly tradingDay: TradingDay;
  /** How often the reports are listed. */
  readonly intervalMs: number;
  /** A view older than this (since its listing started) denies new exposure. */
  readonly maxAgeMs: number;
  /** A report unchanged this long marks its engine silent (it still counts). */
  readonly staleAfterMs: number;
  /** Undefined without a risk monitor: this engine's loss then counts as 0. */
  readonly ownFigures?: () => OwnLossFigures;
  /** How often the loss limits are judged again with this engine's live figures. */
  readonly lossIntervalMs?: number;
  readonly clock?: Clock;
  /** A listing failed (once per streak of failures) or works again. */
  readonly onProblem?: (message: string | null) => void;
}

/** The limits the pre-trade chain can hold an order to (an order rate alone is the guard's). */
function checkable(limits: AggregateLimits | null | undefined): limits is AggregateLimits {
  if (limits === null || limits === undefined) return false;
  const { dailyLoss, drawdown, grossExposure, maxPosition, symbols } = limits;
  return [dailyLoss, drawdown, grossExposure, maxPosition, symbols].some((v) => v !== undefined);
}

interface ScopeView {
  readonly headroom: AggregateHeadroom;
  /** null: every engine (the firm). */
  readonly desk: string | null;
  restDailyPnl: number;
  restDrawdown: number;
  problem: string | null;
}

export class DeskView {
  /**
   * The scopes the chain checks, replaced whole (never changed in place) when live limits change
   * the desk's or the firm's limits; may hold no scope then (the chain skips the check).
   */
  headrooms: AggregateHeadrooms;
  private scopes: ScopeView[];
  /** The last listing's other engines, so a scope added by live limits is valued at once. */
  private lastListing: { others: readonly KnownEngine[]; startedAt: number } | undefined;
  private readonly ledger: EngineLedger;
  private readonly clock: Clock;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lossTimer: NodeJS.Timeout | undefined;
  private listing: Promise<void> | undefined;
  private failing = false;
  private stopped = false;

  /** The view an engine needs, or undefined when no desk or firm limit applies to it (it pays nothing). */
  static create(options: DeskViewOptions): DeskView | undefined {
    const desk = options.desk === null ? undefined : options.desks[options.desk];
    if (!checkable(desk) && !checkable(options.firm)) return undefined;
    return new DeskView(options);
  }

  /**
   * A view for an engine whose desk and firm limits may change live: made even without limits
   * (then it lists nothing and the chain checks nothing until a revision adds one).
   */
  static following(options: DeskViewOptions): DeskView {
    return new DeskView(options);
  }

  private constructor(private readonly options: DeskViewOptions) {
    this.clock = options.clock ?? systemClock;
    this.ledger = new EngineLedger({
      staleAfterMs: options.staleAfterMs,
      tradingDay: options.tradingDay,
      clock: this.clock,
    });
    this.scopes = this.scopesFor(options.desks, options.firm, []);
    this.headrooms = new AggregateHeadrooms(this.scopes.map((scope) => scope.headroom));
  }

  /**
   * Live limits changed the desk's or the firm's limits: a scope whose limits changed gets a new
   * headroom (valued from the last listing at once), built before the swap, so the chain sees the
   * old scopes or the new ones, never a mix. Returns false when nothing changed for this engine.
   */
  applyLimits(
    desks: Readonly<Record<string, AggregateLimits>>,
    firm: AggregateLimits | null,
  ): boolean {
    const scopes = this.scopesFor(desks, firm, this.scopes);
    const same =
      scopes.length === this.scopes.length &&
      scopes.every((scope, index) => scope === this.scopes[index]);
    if (same) return false;
    const fresh = scopes.filter((scope) => !this.scopes.includes(scope));
    if (this.lastListing !== undefined) {
      const { others, startedAt } = this.lastListing;
      for (const scope of fresh) this.apply(scope, others, startedAt);
    }
    this.scopes = scopes;
    this.headrooms = new AggregateHeadrooms(scopes.map((scope) => scope.headroom));
    this.judgeLosses();
    // Never listed (no limits until now): list at once; until then the new scope fails closed.
    if (this.lastListing === undefined && scopes.length > 0) void this.refresh();
    return true;
  }

  /** The scopes these limits give this engine, keeping each of `current` whose limits are equal. */
  private scopesFor(
    desks: Readonly<Record<string, AggregateLimits>>,
    firm: AggregateLimits | null,
    current: readonly ScopeView[],
  ): ScopeView[] {
    const scopes: ScopeView[] = [];
    const add = (scope: string, desk: string | null, limits: AggregateLimits): void => {
      const kept = current.find(
        (view) => view.headroom.scope === scope && isDeepStrictEqual(view.headroom.limits, limits),
      );
      scopes.push(
        kept ?? {
          headroom: new AggregateHeadroom(scope, limits, this.options.maxAgeMs),
          desk,
          restDailyPnl: 0,
          restDrawdown: 0,
          problem: null,
        },
      );
    };
    const { desk } = this.options;
    const deskLimits = desk === null ? undefined : desks[desk];
    if (desk !== null && checkable(deskLimits)) add(`desk:${desk}`, desk, deskLimits);
    if (checkable(firm)) add(GLOBAL_SCOPE, null, firm);
    return scopes;
  }

  /** Lists now (the first view before trading), then every interval; judges losses in between. */
  async start(): Promise<void> {
    await this.refresh();
    if (this.stopped) return;
    this.scheduleRefresh();
    this.lossTimer = setInterval(() => this.judgeLosses(), this.options.lossIntervalMs ?? 100);
    this.lossTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    if (this.lossTimer !== undefined) clearInterval(this.lossTimer);
  }

  /** One listing of the reports (shared while one is in flight); a failure keeps the last view. */
  refresh(): Promise<void> {
    this.listing ??= this.listOnce().finally(() => {
      this.listing = undefined;
    });
    return this.listing;
  }

  /** Loss limits with this engine's figures now: after each fill and on a short timer. */
  judgeLosses(): void {
    // No desk or firm limit (yet): nothing to judge, and the monitor is not asked.
    if (this.scopes.length === 0) return;
    const own = this.options.ownFigures?.() ?? { dailyPnl: 0, drawdown: 0 };
    for (const scope of this.scopes) {
      const { headroom } = scope;
      const { dailyLoss, drawdown } = headroom.limits;
      const loss = -(scope.restDailyPnl + own.dailyPnl);
      const down = scope.restDrawdown + own.drawdown;
      headroom.problem = scope.problem ?? '';
      if (scope.problem !== null) block(headroom, 'unvalued', 0, 0);
      else if (dailyLoss !== undefined && loss >= dailyLoss)
        block(headroom, 'dailyLoss', loss, dailyLoss);
      else if (drawdown !== undefined && down >= drawdown)
        block(headroom, 'drawdown', down, drawdown);
      else headroom.blockedBy = null;
      headroom.settle();
    }
  }

  private scheduleRefresh(): void {
    if (this.stopped) return;
    this.refreshTimer = setTimeout(() => {
      void this.refresh().finally(() => this.scheduleRefresh());
    }, this.options.intervalMs);
    this.refreshTimer.unref();
  }

  private async listOnce(): Promise<void> {
    // No desk or firm limit (yet): nothing to list.
    if (this.scopes.length === 0) return;
    const startedAt = this.clock.now();
    let reports: EngineReport[];
    try {
      reports = await this.options.reports.listEngineReports();
    } catch (error) {
      // The last view stands until it is maxAgeMs old; then new exposure fails closed.
      if (!this.failing) this.options.onProblem?.(messageOf(error));
      this.failing = true;
      return;
    }
    if (this.failing) this.options.onProblem?.(null);
    this.failing = false;
    this.ledger.update(reports);
    const others = this.ledger
      .engines()
      .filter((engine) => engine.engineId !== this.options.engineId);
    this.lastListing = { others, startedAt };
    for (const scope of this.scopes) this.apply(scope, others, startedAt);
    this.judgeLosses();
  }

  /** Sums the scope's other engines and writes the headroom the chain reads, in one turn. */
  private apply(scope: ScopeView, others: readonly KnownEngine[], startedAt: number): void {
    const { headroom } = scope;
    const members =
      scope.desk === null ? others : others.filter((engine) => engine.desk === scope.desk);
    const sum = aggregate(members, headroom.limits, {
      accountCurrency: this.options.accountCurrency,
      conversionRates: this.options.conversionRates,
      orderRate: null,
    });
    let dailyPnl = 0;
    let drawdown = 0;
    let gross = 0;
    for (const share of sum.contributions) {
      dailyPnl += share.dailyPnl;
      drawdown += share.drawdown;
      gross += share.grossExposure;
    }
    scope.restDailyPnl = dailyPnl;
    scope.restDrawdown = drawdown;
    scope.problem = sum.problems.length === 0 ? null : sum.problems.join('; ');
    headroom.restNet = sum.netPositions;
    headroom.restGross = gross;
    const grossLimit = headroom.limits.grossExposure;
    headroom.grossHeadroom =
      grossLimit === undefined ? Number.POSITIVE_INFINITY : grossLimit - gross;
    for (const slot of headroom.slots()) slot.setRest(sum.netPositions.get(slot.symbol) ?? 0);
    headroom.engines = members.length;
    headroom.viewedAt = startedAt;
    headroom.staleAt = startedAt + this.options.maxAgeMs;
    headroom.settle();
  }
}

function block(
  headroom: AggregateHeadroom,
  rule: 'dailyLoss' | 'drawdown' | 'unvalued',
  value: number,
  limit: number,
): void {
  headroom.blockedBy = rule;
  headroom.blockValue = value;
  headroom.blockLimit = limit;
}

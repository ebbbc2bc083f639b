// What the guard knows of each engine: its last readable report, kept when the engine goes silent
// or withdraws, so an engine that stops reporting counts at its last known figures, never as zero.
//
// Ages are measured on the guard's own clock from when a report last changed, never by comparing
// an engine host's clock with ours.

import type { Clock } from '../../core/clock.js';
import type { EngineReport } from '../../core/kill-switch-record.js';
import { deskOfScopes } from '../../core/scopes.js';
import type { TradingDay } from '../monitor/trading-day.js';

/** reporting: its report keeps changing; silent: unchanged for staleAfterMs; withdrawn: removed by a clean stop. */
export type EngineStanding = 'reporting' | 'silent' | 'withdrawn';

export interface KnownEngine {
  readonly engineId: string;
  /** Its last readable report: the figures it counts at. */
  readonly report: EngineReport;
  readonly standing: EngineStanding;
  /** ms since that report last changed, by the guard's clock. */
  readonly ageMs: number;
  /** Orders submitted since the guard first saw it, across its restarts. */
  readonly orders: number;
  /** The desk it reported under (`desk:<name>` among its scopes), or null. */
  readonly desk: string | null;
}

export type LedgerEvent =
  | { readonly type: 'engine-seen'; readonly engineId: string; readonly desk: string | null }
  | { readonly type: 'engine-silent'; readonly engineId: string; readonly silentForMs: number }
  | { readonly type: 'engine-recovered'; readonly engineId: string }
  | { readonly type: 'engine-withdrawn'; readonly engineId: string; readonly keptUntil: string }
  | { readonly type: 'engine-forgotten'; readonly engineId: string; readonly reason: string }
  | { readonly type: 'engine-unreadable'; readonly engineId: string; readonly problem: string };

export interface EngineLedgerOptions {
  /** A report unchanged this long (guard clock) makes its engine silent. */
  readonly staleAfterMs: number;
  /** Withdrawn engines are kept for the rest of the trading day they withdrew in. */
  readonly tradingDay: TradingDay;
  readonly clock: Clock;
}

interface Entry {
  report: EngineReport;
  fingerprint: string;
  changedAt: number;
  standing: EngineStanding;
  withdrawnOn: string | null;
  /** Which process run the counter belongs to: a new run starts its counter at 0. */
  run: string;
  counter: number;
  /** Added to the counter: minus the count at first sight, plus the final counts of earlier runs. */
  orderBase: number;
}

export class EngineLedger {
  private readonly entries = new Map<string, Entry>();
  /** Engines whose report cannot be read and that were never seen readable: not counted. */
  private readonly unknown = new Map<string, string>();
  /** Unreadable reports already said (once until the engine's report reads again). */
  private readonly saidUnreadable = new Set<string>();

  constructor(private readonly options: EngineLedgerOptions) {}

  /** Takes one listing of the store's reports; returns what changed. */
  update(reports: readonly EngineReport[]): LedgerEvent[] {
    const events: LedgerEvent[] = [];
    const now = this.options.clock.monotonic();
    const present = new Set<string>();
    this.unknown.clear();
    for (const report of reports) {
      present.add(report.engineId);
      if (report.unreadable !== undefined) {
        this.unreadable(report, now, events);
        continue;
      }
      this.observe(report, now, events);
    }
    const today = this.options.tradingDay.keyAt(this.options.clock.now());
    for (const [engineId, entry] of this.entries) {
      if (present.has(engineId)) continue;
      if (entry.standing !== 'withdrawn') {
        entry.standing = 'withdrawn';
        entry.withdrawnOn = today;
        events.push({
          type: 'engine-withdrawn',
          engineId,
          keptUntil: 'the end of the trading day',
        });
      } else if (entry.withdrawnOn !== today) {
        this.entries.delete(engineId);
        events.push({
          type: 'engine-forgotten',
          engineId,
          reason: 'withdrawn on an earlier trading day',
        });
      }
    }
    return events;
  }

  engines(): KnownEngine[] {
    const now = this.options.clock.monotonic();
    return [...this.entries].map(([engineId, entry]) => ({
      engineId,
      report: entry.report,
      standing: entry.standing,
      ageMs: now - entry.changedAt,
      orders: entry.orderBase + entry.counter,
      desk: deskOf(entry.report),
    }));
  }

  /** Engines registered with a report nobody can read, never seen readable: id -> problem. */
  unreadableEngines(): ReadonlyMap<string, string> {
    return this.unknown;
  }

  private observe(report: EngineReport, now: number, events: LedgerEvent[]): void {
    const fingerprint = `${report.reportedAt}/${report.pid}/${report.startedAt}`;
    const run = `${report.host}/${report.pid}/${report.startedAt}`;
    const counter = Number(report.stats['ordersSubmitted'] ?? 0) || 0;
    const entry = this.entries.get(report.engineId);
    if (entry === undefined) {
      this.saidUnreadable.delete(report.engineId);
      this.entries.set(report.engineId, {
        report,
        fingerprint,
        changedAt: now,
        standing: 'reporting',
        withdrawnOn: null,
        run,
        counter,
        orderBase: -counter,
      });
      events.push({ type: 'engine-seen', engineId: report.engineId, desk: deskOf(report) });
      return;
    }
    this.saidUnreadable.delete(report.engineId);
    if (entry.fingerprint !== fingerprint) {
      if (entry.run !== run || counter < entry.counter) {
        entry.orderBase += entry.counter;
        entry.run = run;
      }
      entry.counter = counter;
      entry.report = report;
      entry.fingerprint = fingerprint;
      entry.changedAt = now;
      entry.withdrawnOn = null;
      if (entry.standing !== 'reporting')
        events.push({ type: 'engine-recovered', engineId: report.engineId });
      entry.standing = 'reporting';
      return;
    }
    this.silentIfStale(report.engineId, entry, now, events);
  }

  private silentIfStale(engineId: string, entry: Entry, now: number, events: LedgerEvent[]): void {
    const silentForMs = now - entry.changedAt;
    if (entry.standing === 'reporting' && silentForMs > this.options.staleAfterMs) {
      entry.standing = 'silent';
      events.push({ type: 'engine-silent', engineId, silentForMs });
    }
  }

  /** A report that cannot be parsed: the engine keeps its last known figures, if any. */
  private unreadable(report: EngineReport, now: number, events: LedgerEvent[]): void {
    const problem = report.unreadable ?? 'unreadable';
    const entry = this.entries.get(report.engineId);
    if (entry === undefined) this.unknown.set(report.engineId, problem);
    else this.silentIfStale(report.engineId, entry, now, events);
    if (this.saidUnreadable.has(report.engineId)) return;
    this.saidUnreadable.add(report.engineId);
    events.push({ type: 'engine-unreadable', engineId: report.engineId, problem });
  }
}

function deskOf(report: EngineReport): string | null {
  return deskOfScopes(report.scopes);
}

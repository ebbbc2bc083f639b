// The dead-man watchdog: engages a scope when an engine under it stops heartbeating (hung or
// killed with orders possibly resting). Runs in its own process, beside the engines.
//
// Staleness is judged by the watchdog's own clock: a report counts as fresh while its content
// keeps changing, so clock skew between hosts (and server-side TTLs, which NATS 2.9 ignores per
// key) play no part. A report that vanishes was withdrawn by a clean shutdown and is not a death.

import { systemClock, type Clock } from '../core/clock.js';
import type { EngineReport } from '../core/kill-switch-record.js';
import type { KillSwitchStore } from '../core/ports.js';
import type { LocalProcesses } from '../core/process-identity.js';
import { isKnownGone } from './confirmations.js';
import { appliedRevision } from './confirmations.js';
import { engageDecision } from './transitions.js';

export type WatchdogEvent =
  | { readonly type: 'engine-seen'; readonly engineId: string; readonly host: string }
  | {
      readonly type: 'engine-stale';
      readonly engineId: string;
      readonly host: string;
      readonly silentForMs: number;
      readonly processGone: boolean;
    }
  | { readonly type: 'engine-recovered'; readonly engineId: string }
  | { readonly type: 'engine-withdrawn'; readonly engineId: string }
  | {
      readonly type: 'scope-engaged';
      readonly scope: string;
      readonly revision: number;
      readonly changed: boolean;
      readonly reason: string;
    }
  | { readonly type: 'store-error'; readonly message: string };

export interface HeartbeatWatchdogOptions {
  /** The scope's store: engine reports are read from it, and the engage is written to it. */
  readonly store: KillSwitchStore;
  readonly scope: string;
  readonly staleAfterMs: number;
  /** Who the engage is recorded as. */
  readonly actor: string;
  readonly clock?: Clock;
  /** How processes on this host are seen (a crash of one is stale at once); tests give fakes. */
  readonly localProcesses?: LocalProcesses;
  readonly onEvent?: (event: WatchdogEvent) => void;
}

interface Tracked {
  fingerprint: string;
  changedAt: number;
  stale: boolean;
}

export class HeartbeatWatchdog {
  private readonly tracked = new Map<string, Tracked>();
  private readonly clock: Clock;

  constructor(private readonly options: HeartbeatWatchdogOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** One look at the reports; engages the scope for each engine that went stale since the last look. */
  async check(): Promise<void> {
    let reports: EngineReport[];
    try {
      reports = await this.options.store.listEngineReports();
    } catch (error) {
      this.emit({ type: 'store-error', message: (error as Error).message });
      return;
    }
    const now = this.clock.monotonic();
    const present = new Set<string>();
    for (const report of reports) {
      if (appliedRevision(report, this.options.scope) === undefined) continue;
      present.add(report.engineId);
      await this.observe(report, now);
    }
    for (const engineId of [...this.tracked.keys()]) {
      if (present.has(engineId)) continue;
      this.tracked.delete(engineId);
      this.emit({ type: 'engine-withdrawn', engineId });
    }
  }

  private async observe(report: EngineReport, now: number): Promise<void> {
    const fingerprint = `${report.reportedAt}/${report.pid}`;
    const tracked = this.tracked.get(report.engineId);
    if (tracked === undefined) {
      this.tracked.set(report.engineId, { fingerprint, changedAt: now, stale: false });
      this.emit({ type: 'engine-seen', engineId: report.engineId, host: report.host });
      return;
    }
    if (tracked.fingerprint !== fingerprint) {
      tracked.fingerprint = fingerprint;
      tracked.changedAt = now;
      if (tracked.stale) {
        tracked.stale = false;
        this.emit({ type: 'engine-recovered', engineId: report.engineId });
      }
      return;
    }
    const silentForMs = now - tracked.changedAt;
    const processGone = isKnownGone(report, this.options.localProcesses);
    if (tracked.stale || (silentForMs <= this.options.staleAfterMs && !processGone)) return;
    tracked.stale = true;
    this.emit({
      type: 'engine-stale',
      engineId: report.engineId,
      host: report.host,
      silentForMs,
      processGone,
    });
    await this.engage(report, silentForMs, processGone);
  }

  private async engage(
    report: EngineReport,
    silentForMs: number,
    processGone: boolean,
  ): Promise<void> {
    const why = processGone
      ? `process ${report.pid} on ${report.host} is gone`
      : `no heartbeat for ${Math.round(silentForMs)} ms (limit ${this.options.staleAfterMs} ms)`;
    const reason = `watchdog: engine ${report.engineId} ${why}`;
    try {
      const result = await this.options.store.update(
        engageDecision(reason, this.options.actor, 'watchdog'),
      );
      this.emit({
        type: 'scope-engaged',
        scope: this.options.scope,
        revision: result.record.revision,
        changed: result.changed,
        reason,
      });
    } catch (error) {
      // Try again on the next look: the engine is still stale and nothing was engaged.
      const tracked = this.tracked.get(report.engineId);
      if (tracked !== undefined) tracked.stale = false;
      this.emit({ type: 'store-error', message: (error as Error).message });
    }
  }

  private emit(event: WatchdogEvent): void {
    this.options.onEvent?.(event);
  }
}

// Heartbeats and kill-switch confirmations: what this engine enforces, published where `livegate kill` looks.

import os from 'node:os';
import type { Clock } from '../core/clock.js';
import { ownProcessIdentity, sameProcess } from '../core/process-identity.js';
import type { LivegateEvent, RunSummary } from '../core/events.js';
import { failClosedTrigger, type EngineReport } from '../core/kill-switch-record.js';
import type { RiskSnapshot } from '../core/risk-snapshot.js';
import type { EnforcedKillSwitch } from '../killswitch/enforced-kill-switch.js';

export interface EngineReporterOptions {
  readonly engineId: string;
  readonly killSwitch: EnforcedKillSwitch;
  readonly clock: Clock;
  readonly intervalMs: number;
  readonly summary: () => RunSummary;
  readonly riskSnapshot?: () => RiskSnapshot;
  /** The live limits revision in force (0: the config's), confirmed with every report. */
  readonly limitsRevision?: () => number;
  /** The `at` of that revision's record (undefined at revision 0): its identity with the number. */
  readonly limitsAt?: () => string | undefined;
  /** Extra figures for the report (venue connectivity, last tick age). */
  readonly extraStats?: () => Readonly<Record<string, number | string>>;
  readonly emit: (event: LivegateEvent) => void;
  /**
   * Another process reports under this engine's id (two `run` started at once, or one whose
   * claim could not be checked): called once per such process, found by reading the id back.
   */
  readonly onIdConflict?: (holder: EngineReport) => void;
}

export class EngineReporter {
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private publishing: Promise<void> | undefined;
  private publishAgain = false;
  private lastRecord: unknown = undefined;
  private lastEnforced = '';
  private lastScopes = '';
  private lastFailure: unknown = null;
  private readonly startedAt: string;
  /** At least one report of ours reached the store: from then on the key must stay ours. */
  private published = false;
  private checkingId = false;
  private readonly conflicts = new Set<string>();
  /** observedRevision of the latest report written to the store: this engine's confirmation. */
  private confirmed = 0;

  constructor(private readonly options: EngineReporterOptions) {
    this.startedAt = new Date(options.clock.now()).toISOString();
  }

  start(): void {
    const { killSwitch, intervalMs } = this.options;
    this.unsubscribe = killSwitch.onChange(() => this.killSwitchChanged());
    this.killSwitchChanged();
    this.timer = setInterval(() => this.beat(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Removes this engine's report so `livegate kill` no longer waits for it. */
  async withdraw(): Promise<void> {
    await this.publishing;
    await this.options.killSwitch.store
      .removeEngineReport(this.options.engineId)
      .catch(() => undefined);
  }

  /** The kill-switch revision of the latest report that reached the store; 0 before the first. */
  get confirmedRevision(): number {
    return this.confirmed;
  }

  report(): EngineReport {
    const { killSwitch, clock, engineId } = this.options;
    const summary = this.options.summary();
    const identity = ownProcessIdentity();
    return {
      engineId,
      host: os.hostname(),
      pid: process.pid,
      ...(identity === undefined ? {} : { process: identity }),
      startedAt: this.startedAt,
      reportedAt: clock.now(),
      observedRevision: killSwitch.revision,
      ...(killSwitch.scopeRevisions === undefined ? {} : { scopes: killSwitch.scopeRevisions() }),
      observedAt: killSwitch.appliedAt,
      enforcedState: killSwitch.state,
      failClosed: killSwitch.failClosedReason !== null,
      stats: {
        ticks: summary.ticks,
        ticksPerSecond: Math.round(summary.ticksPerSecond),
        ordersSubmitted: summary.ordersSubmitted,
        ordersDenied: summary.ordersDenied,
        ticksBlocked: summary.ticksBlocked,
        fills: summary.fills,
        strategyErrors: summary.strategyErrors,
        brokerErrors: summary.brokerErrors,
        latencyP50Ns: summary.latencyNs.p50,
        latencyP99Ns: summary.latencyNs.p99,
        latencyP999Ns: summary.latencyNs.p999,
        latencyMaxNs: summary.latencyNs.max,
        ...this.options.extraStats?.(),
      },
      ...(this.options.riskSnapshot === undefined ? {} : { risk: this.options.riskSnapshot() }),
      ...(this.options.limitsRevision === undefined
        ? {}
        : { limitsRevision: this.options.limitsRevision() }),
      ...limitsAtOf(this.options.limitsAt?.()),
    };
  }

  /** Publishes at once, outside the heartbeat (after the reporter has started). */
  reportNow(): void {
    if (this.timer !== undefined) this.publish();
  }

  private beat(): void {
    const report = this.report();
    this.options.emit({
      type: 'Heartbeat',
      time: report.reportedAt,
      engineId: report.engineId,
      report,
    });
    // Read back before writing: on one connection a read queued behind our own write returns our
    // report, and a second process writing between our heartbeats was never seen (Redis, NATS).
    void this.checkIdHeld().finally(() => this.publish());
  }

  /**
   * The id's key holds what was published last, by whichever process: a report of another process
   * means two engines run under one id, and a kill would count one's confirmation for both.
   */
  private async checkIdHeld(): Promise<void> {
    const { onIdConflict, killSwitch, engineId } = this.options;
    if (onIdConflict === undefined || !this.published || this.checkingId) return;
    this.checkingId = true;
    try {
      const held = await killSwitch.store.readEngineReport(engineId);
      if (held === undefined || held.unreadable !== undefined) return;
      if (sameProcess(held, this.report())) return;
      const who = `${held.host}/${held.pid}/${held.process?.startTicks ?? ''}`;
      // Raised once per process while the gates stay closed; again after a reset released them
      // with both processes still running (a reset is no way out of a duplicate id).
      if (this.conflicts.has(who) && killSwitch.state === 'ENGAGED') return;
      this.conflicts.add(who);
      onIdConflict(held);
    } catch {
      // A store that cannot answer is the kill switch's business (it fails closed on its own).
    } finally {
      this.checkingId = false;
    }
  }

  /** Emits what changed at the gates and confirms it to the store at once. */
  private killSwitchChanged(): void {
    const { killSwitch, clock, engineId, emit } = this.options;
    const failure = killSwitch.failClosedReason;
    if (failure !== null && failure !== this.lastFailure) {
      emit({
        type: 'KillSwitchFailedClosed',
        trigger: failClosedTrigger(failure.code),
        time: clock.now(),
        engineId,
        errorCode: failure.code,
        message: failure.message,
      });
      this.lastFailure = failure;
      this.publish();
    }
    this.lastFailure = failure;
    const record = killSwitch.record;
    const enforced = killSwitch.state;
    // A scope that does not decide the enforced state still changed what this engine confirms.
    const scopes = JSON.stringify(killSwitch.scopeRevisions?.() ?? null);
    const scopesChanged = scopes !== this.lastScopes;
    this.lastScopes = scopes;
    if (record === null || (record === this.lastRecord && enforced === this.lastEnforced)) {
      if (scopesChanged) this.publish();
      return;
    }
    emit({
      type: 'KillSwitchChanged',
      time: clock.now(),
      engineId,
      record,
      previousState: (this.lastEnforced || enforced) as typeof enforced,
      enforcedState: enforced,
    });
    this.lastRecord = record;
    this.lastEnforced = enforced;
    this.publish();
  }

  /** One publish in flight at a time; a change during it triggers exactly one more. */
  private publish(): void {
    if (this.publishing !== undefined) {
      this.publishAgain = true;
      return;
    }
    const report = this.report();
    this.publishing = this.options.killSwitch.store
      .publishEngineReport(report)
      .then(() => {
        this.published = true;
        this.confirmed = report.observedRevision;
      })
      .catch(() => {
        // Published again at the next heartbeat; a store that cannot be reached is the contact
        // policy's to report (and, past failClosedAfterMs, to fail closed on), not each report's.
      })
      .finally(() => {
        this.publishing = undefined;
        if (this.publishAgain) {
          this.publishAgain = false;
          this.publish();
        }
      });
  }
}

function limitsAtOf(at: string | undefined): { limitsAt?: string } {
  return at === undefined ? {} : { limitsAt: at };
}

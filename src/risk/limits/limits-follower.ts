// An engine's side of live limits: start from the stored revision (it wins over the config), then
// poll for new ones, apply each off the hot path, journal it, and let the heartbeat confirm it.
// Each read that answers leases the limits in force, as the kill switch's state is leased: gate 3
// denies LIMITS_STATE_STALE once the lease is out (a stall or SIGSTOP longer than leaseMs).

import type { Clock } from '../../core/clock.js';
import { isLivegateError, LivegateError } from '../../core/errors.js';
import type { LimitsApplied, LimitsApplyFailed } from '../../core/events.js';
import {
  unreadableLimitsRevision,
  type LimitsRecord,
  type LiveLimits,
} from '../../core/limits-record.js';
import type { LimitsStore } from '../../core/ports.js';
import { StoreContact } from '../../killswitch/store-contact.js';
import { aggregateLimitsOf, type AggregateLimitsInForce } from './desk-limits.js';
import { limitsInForce, overrideKeys } from './limits-overrides.js';
import { monitorRulesOf, preTradeLimitsOf } from './live-limits.js';
import type { ResolvedRules } from '../monitor/risk-monitor-options.js';
import type { PreTradeLimits } from '../pre-trade/pre-trade-limits.js';

export interface LimitsFollowerOptions {
  readonly store: LimitsStore;
  readonly engineId: string;
  readonly clock: Clock;
  readonly pollIntervalMs: number;
  /** This engine's config limits: a revision's overrides are laid over them. */
  readonly configLimits: LiveLimits;
  /**
   * How long one read of the store vouches for the limits in force, counted from when the read was
   * issued (monotonic); killSwitch.leaseMs, at least pollIntervalMs.
   */
  readonly leaseMs: number;
  /** Swaps the pre-trade chain's limits; throws (and changes nothing) when they are invalid. */
  readonly apply: (limits: PreTradeLimits, now: number) => void;
  /**
   * Swaps the risk monitor's rules (undefined: the record has none, so the config's); absent when
   * the engine runs no monitor. Called after `apply`, with rules already validated.
   */
  readonly applyMonitorRules?: (rules: ResolvedRules | undefined) => void;
  /**
   * Swaps the desk and firm limits the chain's desk check holds orders to (risk.desks, risk.firm);
   * absent when the engine has no desk check. Called after `apply`, with limits already validated.
   */
  readonly applyAggregateLimits?: (limits: AggregateLimitsInForce) => void;
  readonly emit: (event: LimitsApplied | LimitsApplyFailed) => void;
  /**
   * Called after a revision is in force (and LimitsApplied emitted): the monitor judges its rules
   * against it, then the engine reports it at once.
   */
  readonly applied: () => void;
}

export class LimitsFollower {
  /** The revision the gates enforce; 0 while the config's limits are in force. */
  revision = 0;
  /** The `at` of that revision's record: its identity with the number (undefined at revision 0). */
  at: string | undefined;
  /** A revision that failed to apply is reported once, not at every poll. */
  private failedRevision = -1;
  /** The kill switch's read scheduling and lease, reused: one policy for both leased states. */
  private readonly contact: StoreContact;

  constructor(private readonly options: LimitsFollowerOptions) {
    this.contact = new StoreContact(
      {
        pollIntervalMs: options.pollIntervalMs,
        leaseMs: options.leaseMs,
        // Never fails anything closed: the kill switch owns store outages; the lease keeps orders out.
        failClosedAfterMs: Math.max(options.leaseMs, options.pollIntervalMs),
      },
      options.clock,
      { read: () => this.poll('change'), silent: () => undefined, leased: () => undefined },
    );
  }

  /**
   * Monotonic ms until which the last read vouches for the limits in force. Gate 3 compares
   * clock.monotonic() against it (a field read) and calls refresh() when it is out.
   */
  get leaseExpiresAt(): number {
    return this.contact.leaseExpiresAt;
  }

  /** Reads the store now, or right after the read in flight (never throws). */
  refresh(): void {
    this.contact.refresh();
  }

  /** Before the first tick: the stored revision, if any, replaces the config's limits. */
  async load(): Promise<void> {
    const issuedAt = this.options.clock.monotonic();
    if (await this.poll('start')) this.contact.contact(issuedAt);
  }

  start(): void {
    this.contact.start();
  }

  stop(): void {
    this.contact.stop();
  }

  /**
   * One read; true when the store answered and the limits in force are those of its latest record
   * (or of the config, with none stored), so the read may renew the lease.
   */
  private async poll(when: 'start' | 'change'): Promise<boolean> {
    try {
      const latest = await this.options.store.latest();
      // No record at all keeps the limits in force; the same record (number and `at`) changes nothing.
      if (latest === null || (latest.revision === this.revision && latest.at === this.at)) {
        return true;
      }
      if (this.isRollback(latest)) {
        // Kept, and leased: what is in force is the last revision this engine applied, never older.
        this.failed(latest.revision, rollbackError(latest, this.revision, this.at));
        return true;
      }
      this.take(latest, when);
      return true;
    } catch (error) {
      // The store answered with a record this engine cannot parse: a revision it cannot apply,
      // like an invalid one; it keeps its limits, leased, and does not confirm.
      const unreadable = unreadableLimitsRevision(error);
      if (unreadable !== undefined) {
        this.failed(unreadable, error);
        return true;
      }
      // Unreachable: keep the limits in force, unleased; the kill switch owns outages.
      this.failed(0, error);
      return false;
    }
  }

  /**
   * A record other than the one in force that is neither a later revision nor written later: the
   * store came back from an older snapshot or a lagging replica. A store restarted empty numbers
   * again from 1, but its first record is written after the one in force, so it still applies.
   */
  private isRollback(record: LimitsRecord): boolean {
    if (this.at === undefined || record.revision > this.revision) return false;
    const writtenAt = Date.parse(record.at);
    const inForceAt = Date.parse(this.at);
    return !(writtenAt > inForceAt);
  }

  private take(record: LimitsRecord, when: 'start' | 'change'): void {
    const { clock, engineId, emit } = this.options;
    try {
      // Validated in full before anything is swapped: an invalid record changes nothing.
      const inForce = limitsInForce(record, this.options.configLimits);
      const limits = preTradeLimitsOf(inForce);
      const rules = monitorRulesOf(inForce);
      const aggregates =
        this.options.applyAggregateLimits === undefined ? undefined : aggregateLimitsOf(inForce);
      this.options.apply(limits, clock.now());
      this.options.applyMonitorRules?.(rules);
      if (aggregates !== undefined) this.options.applyAggregateLimits?.(aggregates);
    } catch (error) {
      this.failed(record.revision, error);
      return;
    }
    this.revision = record.revision;
    this.at = record.at;
    const changes = record.diff.map((entry) => entry.key).join(', ');
    emit({
      type: 'LimitsApplied',
      time: clock.now(),
      engineId,
      revision: record.revision,
      when,
      by: record.by,
      reason: record.reason,
      diff: record.diff,
      message:
        when === 'start'
          ? record.overrides === true
            ? `limits revision ${record.revision} from the store overrides the config's ${overriddenKeys(record)} (last change by ${record.by}: ${record.reason})`
            : `limits revision ${record.revision} from the store replaces the config's ${record.limits.monitor === undefined ? 'risk.preTrade' : 'risk.preTrade and risk.monitor.rules'} (last change by ${record.by}: ${record.reason})`
          : `limits revision ${record.revision} applied (${changes}) by ${record.by}: ${record.reason}`,
    });
    this.options.applied();
  }

  private failed(revision: number, error: unknown): void {
    if (revision === this.failedRevision) return;
    this.failedRevision = revision;
    const { clock, engineId, emit } = this.options;
    const message = error instanceof Error ? error.message : String(error);
    emit({
      type: 'LimitsApplyFailed',
      time: clock.now(),
      engineId,
      revision,
      errorCode: isLivegateError(error) ? error.code : 'ERR_STATE_UNREADABLE',
      message:
        revision === 0
          ? `live limits cannot be read, keeping revision ${this.revision}: ${message}`
          : `limits revision ${revision} not applied, keeping revision ${this.revision}: ${message}`,
    });
  }
}

function overriddenKeys(record: LimitsRecord): string {
  const keys = overrideKeys(record.limits);
  return keys.length === 0 ? 'nothing (every override removed)' : keys.join(', ');
}

function rollbackError(record: LimitsRecord, revision: number, at: string | undefined): Error {
  return new LivegateError(
    'ERR_LIMITS_ROLLBACK',
    `rollback: the store's latest revision ${record.revision} (written ${record.at}) is older than revision ${revision} in force (written ${String(at)}); the store went back to an older history, and this engine keeps revision ${revision} until an operator writes a new one (livegate limits set)`,
  );
}

// The in-process kill switch: gates read `level` synchronously; the store makes changes durable and shared.

import { systemClock, type Clock } from '../core/clock.js';
import { LivegateError, isLivegateError } from '../core/errors.js';
import {
  KillSwitchLevel,
  type KillSwitchOrigin,
  type KillSwitchRecord,
  type KillSwitchState,
  type KillSwitchTrigger,
} from '../core/kill-switch-record.js';
import type { KillSwitchStore, KillSwitchUpdateResult } from '../core/ports.js';
import { GLOBAL_SCOPE } from '../core/scopes.js';
import type {
  EnforcedKillSwitch,
  KillSwitchChangeListener,
  KillSwitchLevelValue,
} from './enforced-kill-switch.js';
import {
  engageDecision,
  initialDecision,
  reduceDecision,
  resetDecision,
  type Decision,
} from './transitions.js';

export type { KillSwitchChangeListener, KillSwitchLevelValue } from './enforced-kill-switch.js';

const STATE_BY_LEVEL: readonly KillSwitchState[] = ['SAFE', 'REDUCING', 'ENGAGED'];

export interface KillSwitchOpenOptions {
  /** Who starts the switch (engine id); recorded on the first-start revision. */
  readonly actor: string;
  readonly startEngaged?: boolean;
  readonly clock?: Clock;
}

/**
 * Safety rules, in order of importance:
 * - tightening (engage, reduce) takes effect at the gates synchronously, before the store is even asked;
 * - loosening (reset, or a newer SAFE record from another process) takes effect only once it is durable;
 * - a state that cannot be read latches ENGAGED locally until a newer revision is read (an operator reset).
 */
export class KillSwitch implements EnforcedKillSwitch {
  /** The level every gate compares against. Hot path: a plain field read, no I/O, no allocation. */
  level: KillSwitchLevelValue = KillSwitchLevel.ENGAGED;
  private current: KillSwitchRecord | null = null;
  private failure: LivegateError | null = null;
  /** Revision at which the local fail-closed latch was set: only a newer one clears it. */
  private failureRevision = 0;
  /** Epoch ms when the latch was set. */
  private failedAt = 0;
  /** Local tightenings not yet confirmed by a stored record, counted per level. */
  private readonly pendingByLevel = [0, 0, 0];
  private stopWatching: (() => void) | undefined;
  private readonly listeners = new Set<KillSwitchChangeListener>();
  private lastAppliedAt = 0;
  /** A switch on its own is the global scope as far as confirmations go. */
  readonly primaryScope: string = GLOBAL_SCOPE;

  private constructor(
    readonly store: KillSwitchStore,
    private readonly actor: string,
    private readonly clock: Clock,
  ) {}

  /**
   * Reads the shared state (creating it on first start). An unreadable state does not throw:
   * the switch opens ENGAGED with trigger `state-unreadable` and says why in `failure`.
   */
  static async open(store: KillSwitchStore, options: KillSwitchOpenOptions): Promise<KillSwitch> {
    const killSwitch = new KillSwitch(store, options.actor, options.clock ?? systemClock);
    try {
      const existing = await store.read();
      const record =
        existing ??
        (await store.update(initialDecision(options.startEngaged ?? false, options.actor))).record;
      killSwitch.applyRecord(record);
    } catch (error) {
      killSwitch.failClosed(asStateError(error));
    }
    return killSwitch;
  }

  get state(): KillSwitchState {
    return STATE_BY_LEVEL[this.level] ?? 'ENGAGED';
  }

  /** The last record read from the store (null if it was never readable). */
  get record(): KillSwitchRecord | null {
    return this.current;
  }

  get revision(): number {
    return this.current?.revision ?? 0;
  }

  /** Why the switch is failing closed, or null. */
  get failClosedReason(): LivegateError | null {
    return this.failure;
  }

  /** Epoch ms when the current revision (or failure) was applied at the gates. */
  get appliedAt(): number {
    return this.lastAppliedAt;
  }

  onChange(listener: KillSwitchChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Follows changes made by other processes. Idempotent. */
  watch(): void {
    this.stopWatching ??= this.store.watch({
      onRecord: (record) => this.applyRecord(record),
      onError: (error) => this.failClosed(error),
    });
  }

  engage(
    reason: string,
    by: string,
    trigger: KillSwitchTrigger = 'manual',
    origin?: KillSwitchOrigin,
  ): Promise<KillSwitchRecord> {
    return this.tighten(KillSwitchLevel.ENGAGED, engageDecision(reason, by, trigger, origin));
  }

  reduce(
    reason: string,
    by: string,
    trigger: KillSwitchTrigger = 'manual',
    origin?: KillSwitchOrigin,
  ): Promise<KillSwitchRecord> {
    return this.tighten(KillSwitchLevel.REDUCING, reduceDecision(reason, by, trigger, origin));
  }

  /** Back to SAFE; the gates open only after the store has made the reset durable. */
  async reset(
    reason: string,
    by: string,
    origin?: KillSwitchOrigin,
  ): Promise<KillSwitchUpdateResult> {
    const result = await this.store.update(resetDecision(reason, by, origin));
    this.applyRecord(result.record);
    return result;
  }

  close(): void {
    this.stopWatching?.();
    this.stopWatching = undefined;
    this.listeners.clear();
  }

  private async tighten(level: KillSwitchLevelValue, decide: Decision): Promise<KillSwitchRecord> {
    const previous = this.state;
    this.pendingByLevel[level] = (this.pendingByLevel[level] ?? 0) + 1;
    this.recomputeLevel(previous);
    try {
      const result = await this.store.update(decide);
      this.applyRecord(result.record);
      return result.record;
    } catch (error) {
      // The change could not be made durable: keep it enforced here (fail closed) and say so loudly.
      this.failClosed(
        new LivegateError(
          'ERR_STATE_WRITE_FAILED',
          `kill-switch change not durable: ${messageOf(error)}`,
          { cause: error },
        ),
      );
      throw error;
    } finally {
      this.pendingByLevel[level] = (this.pendingByLevel[level] ?? 1) - 1;
      this.recomputeLevel(this.state);
    }
  }

  /** Applies a stored record if it is newer than what the gates enforce now. */
  private applyRecord(record: KillSwitchRecord): void {
    const newer = this.current === null || record.revision > this.current.revision;
    if (this.failure !== null && newer && this.clearsFailure(record)) this.failure = null;
    if (!newer) return;
    const previous = this.state;
    this.current = record;
    this.recomputeLevel(previous);
  }

  /**
   * The fail-closed latch clears only on a record written after the failure: a revision above the last
   * one seen before it, or (when none was ever seen) a record stamped after the failure was detected.
   */
  private clearsFailure(record: KillSwitchRecord): boolean {
    if (record.revision <= this.failureRevision) return false;
    // `at` has millisecond resolution, so compare at that resolution.
    return this.failureRevision > 0 || Date.parse(record.at) >= Math.floor(this.failedAt);
  }

  private failClosed(error: LivegateError): void {
    const previous = this.state;
    if (this.failure === null) {
      this.failureRevision = this.current?.revision ?? 0;
      this.failedAt = this.clock.now();
    }
    this.failure = error;
    this.recomputeLevel(previous);
  }

  private recomputeLevel(previous: KillSwitchState): void {
    const stored =
      this.current === null ? KillSwitchLevel.ENGAGED : KillSwitchLevel[this.current.state];
    const failed = this.failure === null ? KillSwitchLevel.SAFE : KillSwitchLevel.ENGAGED;
    const pending =
      (this.pendingByLevel[2] ?? 0) > 0 ? 2 : (this.pendingByLevel[1] ?? 0) > 0 ? 1 : 0;
    this.level = Math.max(stored, failed, pending) as KillSwitchLevelValue;
    this.lastAppliedAt = this.clock.now();
    const enforcedState = this.state;
    for (const listener of this.listeners) {
      listener({
        record: this.current,
        previousState: previous,
        enforcedState,
        failure: this.failure,
      });
    }
  }
}

function asStateError(error: unknown): LivegateError {
  if (isLivegateError(error)) return error;
  return new LivegateError(
    'ERR_STATE_UNREADABLE',
    `kill-switch state unreadable: ${messageOf(error)}`,
    {
      cause: error,
    },
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

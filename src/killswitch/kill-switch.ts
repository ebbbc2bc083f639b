// The in-process kill switch of one scope: gates read `level` synchronously; the store makes changes
// durable and shared; StoreContact decides when the state is too old to trust; the latch fails closed.

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
import { FailClosedLatch, positionOf, type StatePosition } from './fail-closed-latch.js';
import { notifyEach } from './notify-each.js';
import { DEFAULT_STORE_CONTACT, StoreContact, type StoreContactOptions } from './store-contact.js';
import {
  engageDecision,
  initialDecision,
  reduceDecision,
  resetDecision,
  type Decision,
} from './transitions.js';

export type { KillSwitchChangeListener, KillSwitchLevelValue } from './enforced-kill-switch.js';

const STATE_BY_LEVEL: readonly KillSwitchState[] = ['SAFE', 'REDUCING', 'ENGAGED'];
/** A tightening the store refused is retried this often until it is durable (the audit trail). */
const RETRY_WRITE_MS = [250, 500, 1000, 2000, 5000] as const;

export interface KillSwitchOpenOptions {
  /** Who starts the switch (engine id); recorded on the first-start revision. */
  readonly actor: string;
  readonly startEngaged?: boolean;
  readonly clock?: Clock;
  /**
   * Write a first record when the store has none (default true: the embedded file and memory
   * stores). Shared stores pass false: state there is created only by `livegate init` or a reset,
   * so an empty or wiped server fails closed (`state-missing`) instead of reading as SAFE.
   */
  readonly createIfMissing?: boolean;
  /** Fail-closed silence, the gate-3 lease and the read period (defaults: 1000, 500, 250 ms). */
  readonly contact?: Partial<StoreContactOptions>;
  /** Shared by the scopes of one engine, so one reset releases it whichever scope latched. */
  readonly latch?: FailClosedLatch;
  /** The scope this switch reads (default `global`). */
  readonly scope?: string;
  /** Told when a change listener throws (the change itself is never held up). */
  readonly onListenerError?: (error: unknown) => void;
  /**
   * Told when the first read finds the store not answering: open() keeps reading (ENGAGED, not
   * trading) until failClosedAfterMs has passed, then opens failed closed as before.
   */
  readonly onStoreNotAnswering?: (error: LivegateError, retryForMs: number) => void;
}

/**
 * Safety rules, in order of importance:
 * - tightening (engage, reduce) takes effect at the gates synchronously, before the store is asked,
 *   and a tightening the store refuses is enforced, latched and retried until it is durable;
 * - loosening (reset, or a newer SAFE record from another process) takes effect only once durable;
 * - state that is unreadable, missing, or not read validly for failClosedAfterMs latches ENGAGED
 *   until an operator's reset (or init) written after the failure, by revision and generation.
 */
export class KillSwitch implements EnforcedKillSwitch {
  /** The level every gate compares against. Hot path: a plain field read, no I/O, no allocation. */
  level: KillSwitchLevelValue = KillSwitchLevel.ENGAGED;
  readonly primaryScope: string;
  readonly latch: FailClosedLatch;
  private current: KillSwitchRecord | null = null;
  /** True once a read has said for certain that no state exists. */
  private knownMissing = false;
  /** Where a rolled-back store's state stood before it went back (see noteRollback). */
  private rolledBackFrom: StatePosition | undefined;
  private readonly pendingByLevel = [0, 0, 0];
  private stopWatching: (() => void) | undefined;
  private readonly listeners = new Set<KillSwitchChangeListener>();
  private lastAppliedAt = 0;
  private lastReadError: unknown;
  private readonly contactPolicy: StoreContact;
  private readonly retries = new Set<NodeJS.Timeout>();
  private closed = false;
  private listenerErrors = 0;
  private readonly stopFollowingLatch: () => void;

  private constructor(
    readonly store: KillSwitchStore,
    private readonly actor: string,
    private readonly clock: Clock,
    private readonly options: KillSwitchOpenOptions,
  ) {
    this.primaryScope = options.scope ?? GLOBAL_SCOPE;
    this.latch = options.latch ?? new FailClosedLatch();
    this.latch.register(this.primaryScope, () => this.position);
    this.stopFollowingLatch = this.latch.onChange(() => this.recomputeLevel(this.state));
    this.contactPolicy = new StoreContact({ ...DEFAULT_STORE_CONTACT, ...options.contact }, clock, {
      read: () => this.readState(),
      silent: (silentMs) => this.failClosed(this.silenceError(silentMs)),
      leased: () => this.onLeased?.(),
    });
  }

  /** Told when the lease moves (a ScopedKillSwitch keeps the minimum over its scopes). */
  onLeased: (() => void) | undefined;

  /**
   * Reads the shared state (creating it on first start where the store allows). Unreadable or
   * missing state does not throw: the switch opens ENGAGED and says why in `failClosedReason`.
   */
  static async open(store: KillSwitchStore, options: KillSwitchOpenOptions): Promise<KillSwitch> {
    const killSwitch = new KillSwitch(store, options.actor, options.clock ?? systemClock, options);
    await killSwitch.openState();
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

  /** Why the switch is failing closed (this scope or any other sharing the latch), or null. */
  get failClosedReason(): LivegateError | null {
    return this.latch.failure;
  }

  /** Epoch ms when the current revision (or failure) was applied at the gates. */
  get appliedAt(): number {
    return this.lastAppliedAt;
  }

  /** Monotonic ms until which the state at the gates is vouched for by a read. */
  get leaseExpiresAt(): number {
    return this.contactPolicy.leaseExpiresAt;
  }

  /** Change listeners that threw so far (each was isolated; the change went ahead). */
  get listenerFailures(): number {
    return this.listenerErrors;
  }

  /** Where this scope's state stands, for a fail-closed latch's baseline (undefined: never read). */
  get position(): StatePosition | undefined {
    if (this.current !== null) return positionOf(this.current);
    if (this.rolledBackFrom !== undefined) return this.rolledBackFrom;
    return this.knownMissing ? { kind: 'missing' } : undefined;
  }

  /**
   * A store behind the mark (rolled back) says where the state stood: a reset written after that
   * releases the latch, even for an engine that never read a valid record from this store.
   */
  private noteRollback(error: unknown): void {
    if (!isLivegateError(error)) return;
    const floor = error.details?.['rolledBackFrom'] as
      { generation: string; revision: number } | undefined;
    if (floor === undefined) return;
    this.rolledBackFrom = {
      kind: 'record',
      generation: floor.generation,
      revision: floor.revision,
    };
  }

  onChange(listener: KillSwitchChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Follows changes made by other processes and starts the contact policy. Idempotent. */
  watch(): void {
    this.stopWatching ??= this.store.watch({
      onRecord: (record) => this.applyRecord(record),
      onError: (error) => this.readFailed(error),
    });
    this.contactPolicy.start();
  }

  /** Asks the store for the state now (gate 3 does when the lease ran out). Never throws. */
  refresh(): void {
    if (!this.closed) this.contactPolicy.refresh();
  }

  async readNow(withinMs: number): Promise<void> {
    if (!this.closed) await this.contactPolicy.readNow(withinMs);
  }

  engage(
    reason: string,
    by: string,
    trigger: KillSwitchTrigger = 'manual',
    origin?: KillSwitchOrigin,
  ): Promise<KillSwitchRecord> {
    return this.tighten(
      KillSwitchLevel.ENGAGED,
      engageDecision(...this.tighteningText(reason, by), trigger, origin),
    );
  }

  reduce(
    reason: string,
    by: string,
    trigger: KillSwitchTrigger = 'manual',
    origin?: KillSwitchOrigin,
  ): Promise<KillSwitchRecord> {
    return this.tighten(
      KillSwitchLevel.REDUCING,
      reduceDecision(...this.tighteningText(reason, by), trigger, origin),
    );
  }

  /**
   * A tightening is never refused over its text (a strategy calling engageKillSwitch('') would
   * otherwise leave the gates open): empty text is replaced, and said to be. People's text is
   * validated where they type it (CLI flags, HTTP body).
   */
  private tighteningText(reason: string, by: string): [string, string] {
    return [
      reason.trim().length > 0 ? reason : '(no reason given)',
      by.trim().length > 0 ? by : this.actor,
    ];
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
    this.closed = true;
    this.stopWatching?.();
    this.stopWatching = undefined;
    this.contactPolicy.stop();
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    this.stopFollowingLatch();
    this.listeners.clear();
  }

  /**
   * The one contact policy applies from the first read: a store that does not answer at start
   * (an election, a loaded machine) is read again until failClosedAfterMs, like a running engine's
   * outage; only then does the switch open latched. Gates are ENGAGED meanwhile (no state yet).
   */
  private async openState(): Promise<void> {
    const startedAt = this.clock.monotonic();
    // Real time bounds it too: an injected clock that never moves must not retry forever.
    const realDeadline = performance.now() + this.contactPolicy.options.failClosedAfterMs;
    const { failClosedAfterMs, pollIntervalMs } = this.contactPolicy.options;
    for (let attempt = 0; ; attempt++) {
      const issuedAt = this.clock.monotonic();
      try {
        let record = await this.store.read();
        if (record === null && (this.options.createIfMissing ?? true)) {
          const decide = initialDecision(this.options.startEngaged ?? false, this.actor);
          record = (await this.store.update(decide)).record;
        }
        this.lastReadError = undefined;
        this.contactPolicy.contact(issuedAt);
        this.applyRead(record);
        break;
      } catch (error) {
        this.lastReadError = error;
        const leftMs = Math.min(
          startedAt + failClosedAfterMs - this.clock.monotonic(),
          realDeadline - performance.now(),
        );
        // A latch another scope of this engine already set has decided: no point waiting.
        if (notAnswering(error) && leftMs > 0 && !this.closed && this.latch.failure === null) {
          if (attempt === 0) this.options.onStoreNotAnswering?.(error, Math.round(leftMs));
          await new Promise((resolve) => setTimeout(resolve, Math.min(pollIntervalMs, leftMs)));
          continue;
        }
        this.noteRollback(error);
        if (isLivegateError(error, 'ERR_STORE_UNREACHABLE')) {
          this.failClosed(error);
        } else {
          this.failClosed(asStateError(error));
        }
        break;
      }
    }
    this.recomputeLevel(this.state);
  }

  /** One policy read: a record or a certain "no state" is valid; anything else is a failure. */
  private async readState(): Promise<boolean> {
    let record: KillSwitchRecord | null;
    try {
      record = await this.store.read();
    } catch (error) {
      this.lastReadError = error;
      this.noteRollback(error);
      return this.readFailed(error);
    }
    if (this.closed) return false;
    this.lastReadError = undefined;
    this.applyRead(record);
    return true;
  }

  /** Returns true when the failure is itself a certain fact about the state (it vanished). */
  private readFailed(error: unknown): boolean {
    // State this store saw that is gone now: a certain "no state", not a broken connection.
    if (isVanished(error)) {
      this.applyRead(null);
      return true;
    }
    // A read that did not finish in time (a stalled disk) says nothing about the state: it is no
    // contact, so the lease runs out at once and silence fails closed after failClosedAfterMs.
    if (isLivegateError(error) && error.details?.timedOut === true) return false;
    // Unreadable state is a fact about the state, not about the connection: fail closed now.
    if (isLivegateError(error, 'ERR_STATE_UNREADABLE')) this.failClosed(error);
    return false;
  }

  private applyRead(record: KillSwitchRecord | null): void {
    if (record !== null) {
      this.knownMissing = false;
      this.applyRecord(record);
      return;
    }
    const wasMissing = this.knownMissing;
    this.knownMissing = true;
    this.latch.observe(this.primaryScope, null);
    if (this.current !== null) {
      this.failClosed(this.missingError()); // Seen, then gone: the store lost its data.
      // Forget what was lost. The global scope then enforces ENGAGED by itself until state exists
      // again, so a reset in a narrower scope (which releases the shared latch) cannot open the
      // gates on a wiped store; a narrower scope nobody has written since has nothing to enforce.
      const previous = this.state;
      this.current = null;
      this.recomputeLevel(previous);
      return;
    }
    // A desk or engine scope nobody has written yet has nothing to enforce: whether the store as a
    // whole lost its state is judged by the global scope alone.
    if (this.primaryScope !== GLOBAL_SCOPE) {
      if (!wasMissing) this.recomputeLevel(this.state);
      return;
    }
    if (!(this.options.createIfMissing ?? true)) this.failClosed(this.missingError());
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
      // Not durable: keep it enforced here (fail closed), say so loudly, and keep trying to write it.
      this.failClosed(
        new LivegateError(
          'ERR_STATE_WRITE_FAILED',
          `kill-switch change not durable: ${messageOf(error)}`,
          { cause: error },
        ),
      );
      this.retryUntilDurable(decide, 0);
      throw error;
    } finally {
      this.pendingByLevel[level] = (this.pendingByLevel[level] ?? 1) - 1;
      this.recomputeLevel(this.state);
    }
  }

  private retryUntilDurable(decide: Decision, attempt: number): void {
    if (this.closed) return;
    const delay = RETRY_WRITE_MS[Math.min(attempt, RETRY_WRITE_MS.length - 1)] ?? 5000;
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      this.store.update(decide).then(
        (result) => this.applyRecord(result.record),
        () => this.retryUntilDurable(decide, attempt + 1),
      );
    }, delay);
    timer.unref();
    this.retries.add(timer);
  }

  /** Applies a stored record if it is newer than what the gates enforce now (or of a new generation). */
  private applyRecord(record: KillSwitchRecord): void {
    const current = this.current;
    const newer =
      current === null ||
      (record.generation ?? '') !== (current.generation ?? '') ||
      record.revision > current.revision;
    if (!newer) {
      this.latch.observe(this.primaryScope, record);
      return;
    }
    const previous = this.state;
    this.current = record;
    // The latch may release here (an operator's reset), which recomputes every scope sharing it.
    if (!this.latch.observe(this.primaryScope, record)) this.recomputeLevel(previous);
  }

  private failClosed(error: LivegateError): void {
    this.latch.set(error);
  }

  private missingError(): LivegateError {
    return new LivegateError(
      'ERR_STATE_MISSING',
      `no kill-switch state at ${this.store.name}${this.current === null ? '' : ` (revision ${this.current.revision} was seen: the store lost its data)`}: failing closed; an operator creates it with \`livegate init --store …\` (or releases with \`livegate reset\` once it exists)`,
      { details: { store: this.store.name, scope: this.primaryScope } },
    );
  }

  private silenceError(silentMs: number): LivegateError {
    const last = this.lastReadError;
    const answered = last !== undefined && !isLivegateError(last, 'ERR_STORE_UNREACHABLE');
    const what = last === undefined ? 'no answer' : messageOf(last);
    return new LivegateError(
      answered ? 'ERR_STORE_ERROR' : 'ERR_STORE_UNREACHABLE',
      `no valid read of the kill-switch state at ${this.store.name} for ${Math.round(silentMs)} ms: ${what}`,
      { cause: last, details: { store: this.store.name, silentMs: Math.round(silentMs) } },
    );
  }

  private recomputeLevel(previous: KillSwitchState): void {
    const stored =
      this.current !== null
        ? KillSwitchLevel[this.current.state]
        : this.knownMissing && this.primaryScope !== GLOBAL_SCOPE
          ? KillSwitchLevel.SAFE
          : KillSwitchLevel.ENGAGED;
    const failed = this.latch.failure === null ? KillSwitchLevel.SAFE : KillSwitchLevel.ENGAGED;
    const pending =
      (this.pendingByLevel[2] ?? 0) > 0 ? 2 : (this.pendingByLevel[1] ?? 0) > 0 ? 1 : 0;
    this.level = Math.max(stored, failed, pending) as KillSwitchLevelValue;
    this.lastAppliedAt = this.clock.now();
    const change = {
      record: this.current,
      previousState: previous,
      enforcedState: this.state,
      failure: this.latch.failure,
    };
    notifyEach(this.listeners, change, (error) => {
      this.listenerErrors++;
      this.options.onListenerError?.(error);
    });
  }
}

/** Stores mark state they had seen and that is now gone (`details.vanished`). */
function isVanished(error: unknown): boolean {
  return isLivegateError(error, 'ERR_STATE_UNREADABLE') && error.details?.vanished === true;
}

function asStateError(error: unknown): LivegateError {
  if (isLivegateError(error)) return error;
  return new LivegateError(
    'ERR_STATE_UNREADABLE',
    `kill-switch state unreadable: ${messageOf(error)}`,
    { cause: error },
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** No answer from the store (down, electing, timed out): worth asking again, unlike bad state. */
function notAnswering(error: unknown): error is LivegateError {
  return (
    isLivegateError(error, 'ERR_STORE_UNREACHABLE') ||
    (isLivegateError(error) && error.details?.timedOut === true)
  );
}

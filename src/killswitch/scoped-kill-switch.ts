// Several kill-switch scopes stacked over one engine (global > desk:<name> > engine:<id>): the gates
// enforce the strictest. Each scope is a full KillSwitch on its own store key, with its own latch.

import { systemClock, type Clock } from '../core/clock.js';
import type { LivegateError } from '../core/errors.js';
import {
  KillSwitchLevel,
  type KillSwitchOrigin,
  type KillSwitchRecord,
  type KillSwitchState,
  type KillSwitchTrigger,
} from '../core/kill-switch-record.js';
import type { KillSwitchStore, KillSwitchUpdateResult } from '../core/ports.js';
import type {
  EnforcedKillSwitch,
  KillSwitchChangeListener,
  KillSwitchLevelValue,
} from './enforced-kill-switch.js';
import { FailClosedLatch } from './fail-closed-latch.js';
import { KillSwitch } from './kill-switch.js';
import { notifyEach } from './notify-each.js';
import type { StoreContactOptions } from './store-contact.js';

const STATE_BY_LEVEL: readonly KillSwitchState[] = ['SAFE', 'REDUCING', 'ENGAGED'];

export interface ScopedStore {
  readonly scope: string;
  readonly store: KillSwitchStore;
}

export interface ScopedKillSwitchOptions {
  readonly actor: string;
  /** The scope this process's own engage/reduce/reset go to (risk trips, strategies). */
  readonly primaryScope: string;
  /** Applies to the primary scope's first start only. */
  readonly startEngaged?: boolean;
  readonly clock?: Clock;
  /**
   * Create missing state on first start (the embedded file store). On a shared store (false) a
   * missing global scope fails the engine closed (`state-missing`); a desk or engine scope that has
   * never been written has nothing to enforce and is not created.
   */
  readonly createIfMissing?: boolean;
  readonly contact?: Partial<StoreContactOptions>;
  readonly onListenerError?: (error: unknown) => void;
  /** See KillSwitchOpenOptions.onStoreNotAnswering. */
  readonly onStoreNotAnswering?: (error: LivegateError, retryForMs: number) => void;
}

interface Scope {
  readonly name: string;
  readonly killSwitch: KillSwitch;
}

export class ScopedKillSwitch implements EnforcedKillSwitch {
  /** max(level of every scope), recomputed synchronously whenever one of them changes. */
  level: KillSwitchLevelValue = KillSwitchLevel.ENGAGED;
  private dominant: Scope;
  private readonly primary: Scope;
  private readonly listeners = new Set<KillSwitchChangeListener>();
  private lastAppliedAt = 0;

  private constructor(
    private readonly scopes: readonly Scope[],
    primaryScope: string,
    private readonly clock: Clock,
    private readonly onListenerError: ((error: unknown) => void) | undefined,
  ) {
    const primary = scopes.find((scope) => scope.name === primaryScope);
    if (primary === undefined) throw new Error(`primary scope ${primaryScope} is not stacked`);
    this.primary = primary;
    this.dominant = primary;
    for (const scope of scopes) {
      scope.killSwitch.onChange(() => this.recompute());
      scope.killSwitch.onLeased = () => this.recomputeLease();
    }
    this.recomputeLease();
    this.recompute();
  }

  /** The earliest lease of any scope: every scope's state must be fresh for an order to pass. */
  leaseExpiresAt = Number.NEGATIVE_INFINITY;

  refresh(): void {
    for (const scope of this.scopes) scope.killSwitch.refresh();
  }

  async readNow(withinMs: number): Promise<void> {
    await Promise.all(this.scopes.map((scope) => scope.killSwitch.readNow(withinMs)));
  }

  private recomputeLease(): void {
    let earliest = Number.POSITIVE_INFINITY;
    for (const scope of this.scopes) {
      earliest = Math.min(earliest, scope.killSwitch.leaseExpiresAt);
    }
    this.leaseExpiresAt = earliest;
  }

  /** Opens the widest scope first, then the others (whose missing state means "never written"). */
  static async open(
    stores: readonly ScopedStore[],
    options: ScopedKillSwitchOptions,
  ): Promise<ScopedKillSwitch> {
    const clock = options.clock ?? systemClock;
    const latch = new FailClosedLatch();
    const openScope = (
      { scope, store }: ScopedStore,
      createIfMissing: boolean,
    ): Promise<KillSwitch> =>
      KillSwitch.open(store, {
        actor: options.actor,
        startEngaged: scope === options.primaryScope && options.startEngaged === true,
        clock,
        createIfMissing,
        latch,
        scope,
        ...(options.contact === undefined ? {} : { contact: options.contact }),
        ...(options.onListenerError === undefined
          ? {}
          : { onListenerError: options.onListenerError }),
        ...(options.onStoreNotAnswering === undefined
          ? {}
          : { onStoreNotAnswering: options.onStoreNotAnswering }),
      });
    const [widest, ...narrower] = stores;
    if (widest === undefined) throw new Error('a scoped kill switch needs at least one scope');
    const createIfMissing = options.createIfMissing ?? true;
    const first = await openScope(widest, createIfMissing);
    const rest = await Promise.all(narrower.map((store) => openScope(store, createIfMissing)));
    const scopes = [first, ...rest].map((killSwitch, index) => ({
      name: stores[index]?.scope ?? '',
      killSwitch,
    }));
    return new ScopedKillSwitch(scopes, options.primaryScope, clock, options.onListenerError);
  }

  get state(): KillSwitchState {
    return STATE_BY_LEVEL[this.level] ?? 'ENGAGED';
  }

  /** The record of the strictest scope (the widest one on a tie). */
  get record(): KillSwitchRecord | null {
    return this.dominant.killSwitch.record;
  }

  get revision(): number {
    return this.dominant.killSwitch.revision;
  }

  /** The scope whose record decides the enforced state. */
  get decidingScope(): string {
    return this.dominant.name;
  }

  /** One latch for every scope of this engine. */
  get failClosedReason(): LivegateError | null {
    return this.primary.killSwitch.failClosedReason;
  }

  get appliedAt(): number {
    return this.lastAppliedAt;
  }

  get store(): KillSwitchStore {
    return this.primary.killSwitch.store;
  }

  get primaryScope(): string {
    return this.primary.name;
  }

  scopeNames(): string[] {
    return this.scopes.map((scope) => scope.name);
  }

  /** One scope's switch, for changes an operator addresses to it (the HTTP API's `scope`). */
  scope(name: string): KillSwitch | undefined {
    return this.scopes.find((scope) => scope.name === name)?.killSwitch;
  }

  scopeRevisions(): Readonly<Record<string, number>> {
    const revisions: Record<string, number> = {};
    for (const scope of this.scopes) revisions[scope.name] = scope.killSwitch.revision;
    return revisions;
  }

  onChange(listener: KillSwitchChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  watch(): void {
    for (const scope of this.scopes) scope.killSwitch.watch();
  }

  engage(
    reason: string,
    by: string,
    trigger?: KillSwitchTrigger,
    origin?: KillSwitchOrigin,
  ): Promise<KillSwitchRecord> {
    return this.primary.killSwitch.engage(reason, by, trigger, origin);
  }

  reduce(
    reason: string,
    by: string,
    trigger?: KillSwitchTrigger,
    origin?: KillSwitchOrigin,
  ): Promise<KillSwitchRecord> {
    return this.primary.killSwitch.reduce(reason, by, trigger, origin);
  }

  reset(reason: string, by: string, origin?: KillSwitchOrigin): Promise<KillSwitchUpdateResult> {
    return this.primary.killSwitch.reset(reason, by, origin);
  }

  close(): void {
    for (const scope of this.scopes) scope.killSwitch.close();
    this.listeners.clear();
  }

  private recompute(): void {
    const previous = this.state;
    let dominant = this.scopes[0] ?? this.primary;
    for (const scope of this.scopes) {
      if (scope.killSwitch.level > dominant.killSwitch.level) dominant = scope;
    }
    this.dominant = dominant;
    this.level = dominant.killSwitch.level;
    this.lastAppliedAt = this.clock.now();
    const change = {
      record: this.record,
      previousState: previous,
      enforcedState: this.state,
      failure: this.failClosedReason,
    };
    notifyEach(this.listeners, change, (error) => this.onListenerError?.(error));
  }
}

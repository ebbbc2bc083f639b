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
import { KillSwitch } from './kill-switch.js';

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
  ) {
    const primary = scopes.find((scope) => scope.name === primaryScope);
    if (primary === undefined) throw new Error(`primary scope ${primaryScope} is not stacked`);
    this.primary = primary;
    this.dominant = primary;
    for (const scope of scopes) scope.killSwitch.onChange(() => this.recompute());
    this.recompute();
  }

  /** Opens every scope (widest first). An unreadable scope fails closed on its own, like KillSwitch.open. */
  static async open(
    stores: readonly ScopedStore[],
    options: ScopedKillSwitchOptions,
  ): Promise<ScopedKillSwitch> {
    const clock = options.clock ?? systemClock;
    const scopes = await Promise.all(
      stores.map(async ({ scope, store }) => ({
        name: scope,
        killSwitch: await KillSwitch.open(store, {
          actor: options.actor,
          startEngaged: scope === options.primaryScope && options.startEngaged === true,
          clock,
        }),
      })),
    );
    return new ScopedKillSwitch(scopes, options.primaryScope, clock);
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

  get failClosedReason(): LivegateError | null {
    for (const scope of this.scopes) {
      const failure = scope.killSwitch.failClosedReason;
      if (failure !== null) return failure;
    }
    return null;
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
    for (const listener of this.listeners) listener(change);
  }
}

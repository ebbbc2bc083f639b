// What the engine, the risk monitor and the control API need from a kill switch: one scope
// (KillSwitch) or several stacked ones (ScopedKillSwitch) look the same to them.

import type { LivegateError } from '../core/errors.js';
import type {
  KillSwitchOrigin,
  KillSwitchRecord,
  KillSwitchState,
  KillSwitchTrigger,
} from '../core/kill-switch-record.js';
import type { KillSwitchStore, KillSwitchUpdateResult } from '../core/ports.js';
import type { KillSwitchLevel } from '../core/kill-switch-record.js';

export type KillSwitchLevelValue = (typeof KillSwitchLevel)[KillSwitchState];

/** Told every time the enforced level or the record changes. */
export interface KillSwitchChangeListener {
  (change: {
    readonly record: KillSwitchRecord | null;
    readonly previousState: KillSwitchState;
    readonly enforcedState: KillSwitchState;
    readonly failure: LivegateError | null;
  }): void;
}

export interface EnforcedKillSwitch {
  /** The level every gate compares against. Hot path: a plain field read. */
  readonly level: KillSwitchLevelValue;
  readonly state: KillSwitchState;
  /** The record that decides the enforced state (the strictest scope's), null if none was readable. */
  readonly record: KillSwitchRecord | null;
  readonly revision: number;
  readonly failClosedReason: LivegateError | null;
  /** Epoch ms of the latest change applied at the gates. */
  readonly appliedAt: number;
  /**
   * Monotonic ms (clock.monotonic()) until which a read of the store vouches for `level`. Gate 3
   * denies with KILL_SWITCH_STATE_STALE after it and calls refresh(): a strategy that stalled past
   * a kill cannot route on the level it cached before the stall.
   */
  readonly leaseExpiresAt: number;
  /** Reads the store now (no-op while a read is in flight; never throws). */
  refresh(): void;
  /**
   * Reads the store now and resolves once that read settled, or after `withinMs`; never rejects.
   * The engine awaits it before its first tick: a lease from the read at start-up may have run out
   * while the run was being set up.
   */
  readNow(withinMs: number): Promise<void>;
  /** Where engage/reduce/reset from this process go, and where engine reports are published. */
  readonly store: KillSwitchStore;
  /** The scope of `store` (`global` for a single unscoped switch): confirmations are per scope. */
  readonly primaryScope: string;
  /** The scope whose record decides the state (absent for a single unscoped switch: global). */
  readonly decidingScope?: string;
  /** The revision applied per scope, for confirmations (absent for a single unscoped switch). */
  scopeRevisions?(): Readonly<Record<string, number>>;
  onChange(listener: KillSwitchChangeListener): () => void;
  watch(): void;
  engage(
    reason: string,
    by: string,
    trigger?: KillSwitchTrigger,
    origin?: KillSwitchOrigin,
  ): Promise<KillSwitchRecord>;
  reduce(
    reason: string,
    by: string,
    trigger?: KillSwitchTrigger,
    origin?: KillSwitchOrigin,
  ): Promise<KillSwitchRecord>;
  reset(reason: string, by: string, origin?: KillSwitchOrigin): Promise<KillSwitchUpdateResult>;
  close(): void;
}

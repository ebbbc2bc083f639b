// The persisted shape of the kill switch: every store reads and writes exactly this.

import type { ProcessIdentity } from './process-identity.js';
import type { RiskSnapshot } from './risk-snapshot.js';

export const KILL_SWITCH_STATES = ['SAFE', 'REDUCING', 'ENGAGED'] as const;
export type KillSwitchState = (typeof KILL_SWITCH_STATES)[number];

/** Numeric levels so the gate compares integers: higher is stricter. */
export const KillSwitchLevel = { SAFE: 0, REDUCING: 1, ENGAGED: 2 } as const satisfies Record<
  KillSwitchState,
  number
>;

/**
 * `manual`, `startup`, `error`, `state-unreadable`, `drill`, or `risk:<rule>`.
 * Kept open-ended so the risk monitor can name its rule.
 */
export type KillSwitchTrigger = string;

export interface KillSwitchRecord {
  /** Monotonic, gap-free per state dir: revision n+1 is written only by the writer that read n. */
  readonly revision: number;
  /**
   * Set when the state is created (revision 1, `livegate init`) and kept by every later revision:
   * state re-created after a loss has another generation, so "newer" never depends on revisions
   * that restarted at 1. Absent in records written before generations existed.
   */
  readonly generation?: string;
  readonly state: KillSwitchState;
  readonly reason: string;
  /** Operator name or component id. */
  readonly by: string;
  readonly trigger: KillSwitchTrigger;
  /** ISO-8601 UTC. */
  readonly at: string;
  readonly host: string;
  readonly pid: number;
  /** Where the change came from when it was not this host's CLI or engine (the HTTP API...). */
  readonly origin?: KillSwitchOrigin;
}

/** The channel a change arrived through, with the caller's role and address, for the audit trail. */
export interface KillSwitchOrigin {
  /** `http`, `cli`, ... */
  readonly channel: string;
  /** The role the caller authenticated as (`operator`, `admin`). */
  readonly role?: string;
  /** The caller's network address. */
  readonly address?: string;
}

/** What a writer asks for; the store stamps revision, time, host and pid. */
export interface KillSwitchChange {
  readonly state: KillSwitchState;
  readonly reason: string;
  readonly by: string;
  readonly trigger: KillSwitchTrigger;
  readonly origin?: KillSwitchOrigin;
}

/** The trigger a local fail-closed latch is reported with, from the error that set it. */
export function failClosedTrigger(errorCode: string): KillSwitchTrigger {
  if (errorCode === 'ERR_STORE_UNREACHABLE') return 'store-unreachable';
  if (errorCode === 'ERR_STATE_WRITE_FAILED') return 'state-write-failed';
  if (errorCode === 'ERR_STATE_MISSING') return 'state-missing';
  if (errorCode === 'ERR_STORE_ERROR') return 'store-error';
  return 'state-unreadable';
}

/** Heartbeat and confirmation record each running engine publishes next to the state. */
export interface EngineReport {
  readonly engineId: string;
  readonly host: string;
  readonly pid: number;
  /** Boot, pid namespace and start ticks (Linux): tells a live process from a reused pid. */
  readonly process?: ProcessIdentity;
  readonly startedAt: string;
  /** Epoch ms (fractional) of this report. */
  readonly reportedAt: number;
  /** Highest kill-switch revision this engine has applied at its gates (its strictest scope's). */
  readonly observedRevision: number;
  /** Revision applied per scope (`global`, `desk:fx`, `engine:<id>`), when the engine runs under scopes. */
  readonly scopes?: Readonly<Record<string, number>>;
  /** Epoch ms (fractional) when that revision was applied. */
  readonly observedAt: number;
  /** The state its gates enforce now (may be ENGAGED by fail-closed while the record says SAFE). */
  readonly enforcedState: KillSwitchState;
  readonly failClosed: boolean;
  /** Latest heartbeat figures, free-form for display. */
  readonly stats: Readonly<Record<string, number | string>>;
  /** Live limits revision its pre-trade chain enforces (0: the config's); absent from older engines. */
  readonly limitsRevision?: number;
  /**
   * When that revision was written (its record's `at`): with the number, the revision's identity,
   * since a store restarted empty numbers again from 1. Absent from older engines and at revision 0.
   */
  readonly limitsAt?: string;
  /** Positions, PnL and risk-rule headroom, when a risk monitor runs in the engine. */
  readonly risk?: RiskSnapshot;
  /**
   * Set by a reader (never published) when the stored report could not be parsed: the engine is
   * still registered and must confirm a kill, but nothing else in this report is known.
   */
  readonly unreadable?: string;
}

/** Generation ids livegate writes: creation time in ms (base 36), a dash, random hex. */
const GENERATION_FORM = /^([0-9a-z]{1,11})-[0-9a-f]+$/;

/**
 * When a generation was created, by its writer's clock (ms), or undefined for an id of another
 * form. Records from before generations existed ('') are older than any generation.
 */
export function generationCreatedAt(generation: string): number | undefined {
  if (generation === '') return 0;
  const match = GENERATION_FORM.exec(generation);
  if (match === null) return undefined;
  const created = Number.parseInt(match[1]!, 36);
  return Number.isSafeInteger(created) ? created : undefined;
}

/** True when `candidate` was created before `than`; false when either cannot be dated. */
export function generationOlder(candidate: string, than: string): boolean {
  const a = generationCreatedAt(candidate);
  const b = generationCreatedAt(than);
  return a !== undefined && b !== undefined && a < b;
}

// The update() loop every shared store runs: read, decide, stamp revision n+1, try to claim it
// atomically; a writer that lost the race re-reads and decides again. Only the claim differs
// between backends (link(2), a KV create, a Lua compare-and-set).

import { LivegateError } from '../../core/errors.js';
import type { KillSwitchChange, KillSwitchRecord } from '../../core/kill-switch-record.js';
import type { KillSwitchStore, KillSwitchUpdateResult } from '../../core/ports.js';
import {
  nothingToReturn,
  stampKillSwitchRecord,
  type StampContext,
} from './stamp-kill-switch-record.js';

export type Decide = Parameters<KillSwitchStore['update']>[0];

/** Losing the revision race this long means something is badly wrong; say so rather than spin. */
export const UPDATE_DEADLINE_MS = 10_000;

/** What a backend read gives the loop: the record, or why the stored state cannot be trusted. */
export interface CurrentState {
  readonly record: KillSwitchRecord | null;
  readonly unreadable?: LivegateError | undefined;
}

export interface OptimisticUpdate<State extends CurrentState> {
  readonly stamp: StampContext;
  readonly decide: Decide;
  read(): Promise<State> | State;
  /** The revision after `current`; over unreadable or missing state, above every one ever written. */
  nextRevision(current: State): Promise<number> | number;
  /**
   * Writes `record` only if nobody wrote revision `record.revision` first. Resolves to null when
   * another writer won, or to the result to return when this one did.
   */
  claim(
    record: KillSwitchRecord,
    current: State,
    change: KillSwitchChange,
    attempt: number,
  ): Promise<KillSwitchUpdateResult | null>;
  /** Where the race is run, for the give-up message (`in <dir>`, `on <key>`). */
  readonly where: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export async function optimisticUpdate<State extends CurrentState>(
  update: OptimisticUpdate<State>,
): Promise<KillSwitchUpdateResult> {
  // Real time, not the injected clock: a test's frozen ManualClock must not make this spin forever.
  const deadline = performance.now() + UPDATE_DEADLINE_MS;
  for (let attempt = 1; ; attempt += 1) {
    const current = await update.read();
    const change = update.decide(current.record, current.unreadable);
    if (change === null) {
      if (current.record !== null) return { record: current.record, changed: false };
      throw nothingToReturn(current.unreadable);
    }
    const revision = await update.nextRevision(current);
    const record = stampKillSwitchRecord(change, revision, update.stamp, current.record);
    const result = await update.claim(record, current, change, attempt);
    if (result !== null) return result;
    // Another writer took this revision: it is visible now, so re-read and decide again.
    if (performance.now() > deadline) {
      throw new LivegateError(
        'ERR_STATE_WRITE_FAILED',
        `Could not claim a kill-switch revision within ${UPDATE_DEADLINE_MS} ms: ` +
          `${attempt} attempts lost to other writers ${update.where}`,
        { details: { attempts: attempt, ...update.details } },
      );
    }
  }
}

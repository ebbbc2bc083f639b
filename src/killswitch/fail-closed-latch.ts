// One fail-closed latch per engine, shared by every scope it obeys: whatever set it (unreadable,
// missing or unreachable state, a write that failed), only an explicit reset written after it clears it.

import type { LivegateError } from '../core/errors.js';
import type { KillSwitchRecord } from '../core/kill-switch-record.js';

/** Where a scope's state stood: a record's generation and revision, or known to be missing. */
export type StatePosition =
  | { readonly kind: 'record'; readonly generation: string; readonly revision: number }
  | { readonly kind: 'missing' };

/** Triggers of records an operator writes to release engines: `reset` and `init`. */
const RELEASE_TRIGGERS: ReadonlySet<string> = new Set(['manual', 'init']);

export function positionOf(record: KillSwitchRecord | null): StatePosition {
  return record === null
    ? { kind: 'missing' }
    : { kind: 'record', generation: record.generation ?? '', revision: record.revision };
}

/**
 * True when `record` was written after `position`, judged only by store generations and revisions
 * (never by comparing two hosts' clocks): another generation means the state was re-created since.
 */
export function writtenAfter(record: KillSwitchRecord, position: StatePosition): boolean {
  if (position.kind === 'missing') return true;
  if ((record.generation ?? '') !== position.generation) return true;
  return record.revision > position.revision;
}

export class FailClosedLatch {
  private current: LivegateError | null = null;
  /** Per scope: the state it had applied when the latch was set (or first read since). */
  private readonly baseline = new Map<string, StatePosition>();
  private readonly listeners = new Set<() => void>();
  private readonly scopes = new Map<string, () => StatePosition | undefined>();

  /** Each scope sharing the latch says where it stands, so a failure snapshots all of them. */
  register(scope: string, position: () => StatePosition | undefined): void {
    this.scopes.set(scope, position);
  }

  get failure(): LivegateError | null {
    return this.current;
  }

  /**
   * Sets the latch (a later failure only replaces the reason), with where every registered scope
   * stood at that moment; a scope that had read nothing gets its baseline from its next read.
   */
  set(failure: LivegateError): void {
    if (this.current === null) {
      this.baseline.clear();
      for (const [scope, positionOf] of this.scopes) {
        const position = positionOf();
        if (position !== undefined) this.baseline.set(scope, position);
      }
    }
    this.current = failure;
    this.notify();
  }

  /**
   * A scope read `record` (or found none) while latched. Returns true when that releases the latch:
   * a SAFE written by an operator's reset or init after the failure. Anything else only fills in a
   * missing baseline, so a state first seen after the failure is never taken as a release.
   */
  observe(scope: string, record: KillSwitchRecord | null): boolean {
    if (this.current === null) return false;
    const baseline = this.baseline.get(scope);
    if (baseline === undefined) {
      this.baseline.set(scope, positionOf(record));
      return false;
    }
    if (record === null || record.state !== 'SAFE' || !RELEASE_TRIGGERS.has(record.trigger)) {
      return false;
    }
    if (!writtenAfter(record, baseline)) return false;
    this.current = null;
    this.baseline.clear();
    this.notify();
    return true;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

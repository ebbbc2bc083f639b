// The highest revision a store instance has seen, per generation: state must never fall below it,
// but state re-created after a loss (`livegate init`, a reset over nothing) starts a new generation.

import { LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';

export interface RevisionFloor {
  readonly generation: string;
  readonly revision: number;
}

export type Regression = 'gone' | 'backwards' | undefined;

/** Where a mark outlives its process (revision-mark-file.ts): a new process starts from it. */
export interface MarkPersistence {
  load(): RevisionFloor | undefined;
  save(floor: RevisionFloor): void;
  /** Resolves once the last save is on disk (or failed). */
  flush(): Promise<void>;
}

export class RevisionMark {
  private floor: RevisionFloor = { generation: '', revision: 0 };
  private persistence: MarkPersistence | undefined;

  /** Starts from what earlier processes saw, and keeps it up to date from now on. */
  persistTo(persistence: MarkPersistence): void {
    const loaded = persistence.load();
    if (loaded !== undefined && this.floor.revision === 0) this.floor = loaded;
    this.persistence = persistence;
  }

  flush(): Promise<void> {
    return this.persistence?.flush() ?? Promise.resolve();
  }

  /** Taken before a read: a write seen while the read was in flight is no floor for it. */
  get current(): RevisionFloor {
    return this.floor;
  }

  get highest(): number {
    return this.floor.revision;
  }

  see(record: KillSwitchRecord): void {
    const generation = record.generation ?? '';
    if (generation !== this.floor.generation || record.revision > this.floor.revision) {
      this.floor = { generation, revision: record.revision };
      this.persistence?.save(this.floor);
    }
  }
}

/** Whether what a read found is behind `floor`: the state vanished, or went back in its generation. */
export function regressionFrom(floor: RevisionFloor, record: KillSwitchRecord | null): Regression {
  if (floor.revision === 0) return undefined;
  if (record === null) return 'gone';
  if ((record.generation ?? '') !== floor.generation) return undefined;
  return record.revision < floor.revision ? 'backwards' : undefined;
}

/**
 * The error for state this instance saw that is now gone, marked as such (`details.vanished`), so
 * the kill switch can tell a lost scope (fail closed once, then "never written") from a damaged one.
 */
export function vanished(error: LivegateError): LivegateError {
  return new LivegateError(error.code, error.message, {
    cause: error.cause,
    details: { ...error.details, vanished: true },
  });
}

/**
 * The error for state behind the mark, carrying the mark (`details.rolledBackFrom`): a reset
 * written above it (or in another generation) is what releases an engine that failed closed on it.
 */
export function rolledBack(error: LivegateError, floor: RevisionFloor): LivegateError {
  return new LivegateError(error.code, error.message, {
    cause: error.cause,
    details: { ...error.details, rolledBackFrom: { ...floor } },
  });
}

// The highest revision a store instance has seen, per generation: state must never fall below it,
// but state re-created after a loss (`livegate init`, a reset over nothing) starts a new generation.
// Generations have no order of their own, so the mark remembers the ones it saw replaced: state
// in one of those again is an old copy (a backup restored a second time), never a re-creation.

import { LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';

export interface RevisionFloor {
  readonly generation: string;
  readonly revision: number;
  /** Generations seen replaced by a later one, newest first (at most MAX_SUPERSEDED). */
  readonly superseded: readonly string[];
}

/** Enough for years of re-creations; a generation older than these is taken as a new one. */
export const MAX_SUPERSEDED = 32;

export type Regression = 'gone' | 'backwards' | undefined;

/** Where a mark outlives its process (revision-mark-file.ts): a new process starts from it. */
export interface MarkPersistence {
  load(): RevisionFloor | undefined;
  save(floor: RevisionFloor): void;
  /** Resolves once the last save is on disk (or failed). */
  flush(): Promise<void>;
}

export class RevisionMark {
  private floor: RevisionFloor = { generation: '', revision: 0, superseded: [] };
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
    const { floor } = this;
    // A read that began before the new generation was seen may still return the old one: no floor.
    if (floor.superseded.includes(generation)) return;
    if (generation === floor.generation) {
      if (record.revision <= floor.revision) return;
      this.floor = { ...floor, revision: record.revision };
    } else {
      const superseded =
        floor.revision === 0 ? floor.superseded : [floor.generation, ...floor.superseded];
      this.floor = {
        generation,
        revision: record.revision,
        superseded: superseded.slice(0, MAX_SUPERSEDED),
      };
    }
    this.persistence?.save(this.floor);
  }
}

/**
 * Whether what a read found is behind `floor`: the state vanished, went back in its generation,
 * or is of a generation already seen replaced.
 */
export function regressionFrom(floor: RevisionFloor, record: KillSwitchRecord | null): Regression {
  if (floor.revision === 0) return undefined;
  if (record === null) return 'gone';
  const generation = record.generation ?? '';
  if (floor.superseded.includes(generation)) return 'backwards';
  if (generation !== floor.generation) return undefined;
  return record.revision < floor.revision ? 'backwards' : undefined;
}

/** The problem a rolled-back read is reported with, naming the generation where it matters. */
export function describeRollback(floor: RevisionFloor, record: KillSwitchRecord | null): string {
  const generation = record?.generation ?? '';
  if (generation !== floor.generation) {
    return (
      `went backwards from revision ${floor.revision} to revision ${record?.revision} of an older ` +
      `generation (${generation || 'none'}, replaced by ${floor.generation || 'none'}; restored from an old copy?)`
    );
  }
  return `went backwards from revision ${floor.revision} to ${record?.revision} (restored from an old copy?)`;
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
    details: {
      ...error.details,
      rolledBackFrom: { generation: floor.generation, revision: floor.revision },
    },
  });
}

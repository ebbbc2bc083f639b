// The highest revision a store instance has seen, per generation: state must never fall below it,
// but state re-created after a loss (`livegate init`, a reset over nothing) starts a new generation.
// Generations are dated by their creator (kill-switch-record.ts), and the mark also remembers the
// ones it saw replaced: state of an older generation, or of one of those, is an old copy (a backup
// restored), never a re-creation.

import { LivegateError } from '../../core/errors.js';
import {
  generationCreatedAt,
  generationOlder,
  type KillSwitchRecord,
} from '../../core/kill-switch-record.js';

export interface RevisionFloor {
  readonly generation: string;
  readonly revision: number;
  /** Generations seen replaced by a later one, newest first (at most MAX_SUPERSEDED). */
  readonly superseded: readonly string[];
  /**
   * The record at `revision` itself is not the truth: it was found while the mark could not be
   * read, so it may be an old copy. Anything written after it is taken (a reset, a kill).
   */
  readonly distrusted?: boolean;
  /** The persisted mark could not be read (why): no state found is taken as the truth. */
  readonly damaged?: string;
}

/** Enough for years of re-creations; a generation older than these is taken as a new one. */
export const MAX_SUPERSEDED = 32;

export type Regression = 'gone' | 'backwards' | undefined;

/** What a persisted mark held: a floor, nothing yet, or something unreadable (why). */
export type LoadedMark = RevisionFloor | { readonly damaged: string } | undefined;

/** Where a mark outlives its process (revision-mark-file.ts): a new process starts from it. */
export interface MarkPersistence {
  load(): LoadedMark;
  save(floor: RevisionFloor): void;
  /** Resolves once the last save is on disk (or failed). */
  flush(): Promise<void>;
}

const EMPTY_FLOOR: RevisionFloor = { generation: '', revision: 0, superseded: [] };

export class RevisionMark {
  private floor: RevisionFloor = EMPTY_FLOOR;
  private persistence: MarkPersistence | undefined;

  /** Starts from what earlier processes saw, and keeps it up to date from now on. */
  persistTo(persistence: MarkPersistence): void {
    const loaded = persistence.load();
    if (loaded !== undefined && this.floor.revision === 0) {
      this.floor = 'generation' in loaded ? loaded : { ...EMPTY_FLOOR, damaged: loaded.damaged };
    }
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
    if (floor.damaged !== undefined) return; // Nothing is the truth until a record is distrusted.
    // A read that began before the new generation was seen may still return the old one: no floor.
    if (floor.superseded.includes(generation)) return;
    if (generation === floor.generation) {
      if (record.revision <= floor.revision) return;
      this.floor = { generation, revision: record.revision, superseded: floor.superseded };
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

  /**
   * The error for a read behind `floor` (the mark before the read), carrying where the state
   * stood (`details.rolledBackFrom`): a reset written after that releases an engine that failed
   * closed on it. With a damaged mark the record found is that position, distrusted from now on.
   */
  rolledBack(error: LivegateError, floor: RevisionFloor, record: KillSwitchRecord): LivegateError {
    let from: { generation: string; revision: number };
    if (floor.damaged !== undefined) {
      from = { generation: record.generation ?? '', revision: record.revision };
      if (this.floor.damaged !== undefined) {
        this.floor = { ...from, superseded: [], distrusted: true };
        this.persistence?.save(this.floor);
      }
    } else {
      from = { generation: floor.generation, revision: floor.revision };
    }
    return new LivegateError(error.code, error.message, {
      cause: error.cause,
      details: { ...error.details, rolledBackFrom: from },
    });
  }
}

/**
 * Whether what a read found is behind `floor`: the state vanished, went back in its generation,
 * is of a generation already seen replaced, or cannot be told from an old copy (damaged mark).
 */
export function regressionFrom(floor: RevisionFloor, record: KillSwitchRecord | null): Regression {
  if (floor.damaged !== undefined) return record === null ? undefined : 'backwards';
  if (floor.revision === 0) return undefined;
  if (record === null) return 'gone';
  const generation = record.generation ?? '';
  if (floor.superseded.includes(generation)) return 'backwards';
  if (generation !== floor.generation) {
    // Re-created state is newer than what it replaced; a generation from before is an old copy.
    return generationOlder(generation, floor.generation) ? 'backwards' : undefined;
  }
  if (record.revision < floor.revision) return 'backwards';
  return record.revision === floor.revision && floor.distrusted === true ? 'backwards' : undefined;
}

/** The problem a rolled-back read is reported with, naming the generation where it matters. */
export function describeRollback(floor: RevisionFloor, record: KillSwitchRecord | null): string {
  if (floor.damaged !== undefined || floor.distrusted === true) {
    return (
      `revision ${record?.revision} cannot be told from an old copy: this state dir's high-water ` +
      `mark was unreadable when it was found (${floor.damaged ?? 'see the warning at start'}); ` +
      'a reset (or kill) written after it is taken as the truth'
    );
  }
  const generation = record?.generation ?? '';
  if (generation !== floor.generation) {
    return (
      `went backwards from revision ${floor.revision} to revision ${record?.revision} of an older ` +
      `generation (${describeGeneration(generation)}, before ${describeGeneration(floor.generation)}; restored from an old copy?)`
    );
  }
  return `went backwards from revision ${floor.revision} to ${record?.revision} (restored from an old copy?)`;
}

function describeGeneration(generation: string): string {
  if (generation === '') return 'none';
  const created = generationCreatedAt(generation);
  return created === undefined || created === 0
    ? generation
    : `${generation} created ${new Date(created).toISOString()}`;
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

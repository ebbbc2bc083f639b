// One process at a time on a FIX session's sequence file: two kills (or a kill and a stray
// engine) from one state dir would each count from the same numbers and write back numbers
// behind the other's. A lock file beside it, made with O_EXCL, names its holder; a holder that
// is gone (its pid dead or reused) leaves a stale lock that the next process takes over.

import {
  closeSync,
  constants,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { messageOf } from '../../core/message-of.js';
import {
  ownProcessIdentity,
  processFate,
  type ReportedProcess,
} from '../../core/process-identity.js';

/** Polling step while another live process holds the lock. */
const WAIT_STEP_MS = 50;
/** A lock file still empty after this long was left by a process that died creating it. */
const UNWRITTEN_STALE_MS = 5_000;

export interface FixLockHolder {
  readonly pid: number | undefined;
  /** The lock could not be made at all (a full disk, no permission): no process holds it. */
  readonly failed?: true;
  /** `pid 123 on host x` or why the holder is not known. */
  readonly description: string;
}

export function lockFilePath(sequenceFile: string): string {
  return `${sequenceFile}.lock`;
}

export class FixSessionLock {
  private held = false;
  private readonly own: ReportedProcess = {
    host: os.hostname(),
    pid: process.pid,
    ...(ownProcessIdentity() === undefined ? {} : { process: ownProcessIdentity()! }),
  };

  constructor(readonly path: string) {}

  /** Takes the lock, waiting up to `waitMs` for a live holder; the holder when it did not. */
  async acquire(waitMs: number): Promise<FixLockHolder | undefined> {
    const deadline = performance.now() + waitMs;
    for (;;) {
      const holder = this.tryAcquire();
      if (holder === undefined) return undefined;
      if (holder.failed === true || performance.now() >= deadline) return holder;
      await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
    }
  }

  /** Removes the lock if it is still this process's. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    if (this.readHolder(this.path)?.pid === process.pid) unlinkSync(this.path);
  }

  private tryAcquire(): FixLockHolder | undefined {
    if (this.held) return undefined;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const descriptor = openSync(
        this.path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
        0o600,
      );
      try {
        writeSync(descriptor, `${JSON.stringify(this.own)}\n`);
      } catch (error) {
        // A full disk: an empty lock left behind would read as "unfinished" to the next kill.
        closeSync(descriptor);
        unlinkSync(this.path);
        throw error;
      }
      closeSync(descriptor);
      this.held = true;
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        return {
          pid: undefined,
          failed: true,
          description: `the lock ${this.path} cannot be made (${messageOf(error)})`,
        };
      }
    }
    const holder = this.readHolder(this.path);
    if (holder === undefined) {
      // Being written this moment, or left empty by a process that died making it.
      if (this.ageMs() > UNWRITTEN_STALE_MS) this.removeStale(undefined);
      return { pid: undefined, description: `an unfinished lock ${this.path}` };
    }
    // A holder from an earlier boot of this host died with that boot (a power loss mid-kill):
    // the lock sits in this host's state dir, so its kernel boot id tells.
    const fate = processFate(holder);
    if (fate === 'gone' || fate === 'earlier-boot') {
      this.removeStale(holder);
      return this.tryAcquire();
    }
    return { pid: holder.pid, description: `pid ${holder.pid} on ${holder.host}` };
  }

  private readHolder(file: string): ReportedProcess | undefined {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ReportedProcess>;
      if (typeof parsed.host !== 'string' || typeof parsed.pid !== 'number') return undefined;
      return parsed as ReportedProcess;
    } catch {
      return undefined;
    }
  }

  private ageMs(): number {
    try {
      return Date.now() - statSync(this.path).mtimeMs;
    } catch {
      return 0;
    }
  }

  /**
   * Moves the stale lock aside first and looks at what it moved: a live process that took the
   * lock over between the read and the move gets its lock linked back (link never overwrites).
   */
  private removeStale(seen: ReportedProcess | undefined): void {
    const aside = `${this.path}.stale-${process.pid}`;
    try {
      renameSync(this.path, aside);
    } catch {
      return; // taken over already: the next try finds out who holds it now
    }
    const moved = this.readHolder(aside);
    const same =
      moved?.pid === seen?.pid && moved?.process?.startTicks === seen?.process?.startTicks;
    if (!same) {
      try {
        linkSync(aside, this.path);
      } catch {
        // A third process made a lock meanwhile: it holds it, and the one moved holds nothing.
      }
    }
    try {
      unlinkSync(aside);
    } catch {
      // Nothing to tidy.
    }
  }
}

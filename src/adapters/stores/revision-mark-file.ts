// A store's high-water mark kept in the state dir, so a process that starts after a store rolled
// back (a node that lost acknowledged writes became leader, a server restored from an old
// snapshot) knows the store is behind instead of taking it for the truth.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import {
  MAX_SUPERSEDED,
  type LoadedMark,
  type MarkPersistence,
  type RevisionFloor,
} from './revision-mark.js';

const markSchema = z.object({
  store: z.string(),
  scope: z.string(),
  generation: z.string(),
  revision: z.number().int().nonnegative(),
  // Absent in marks written before superseded generations were kept.
  superseded: z.array(z.string()).max(MAX_SUPERSEDED).default([]),
  distrusted: z.boolean().optional(),
});

/** One small JSON file per store and scope under `<stateDir>/store-marks/`. */
export class RevisionMarkFile implements MarkPersistence {
  readonly file: string;
  private writing: Promise<void> = Promise.resolve();
  private pending: RevisionFloor | undefined;
  private failing = false;

  constructor(
    stateDir: string,
    private readonly store: string,
    private readonly scope: string,
    /** A mark file that cannot be read is said, not silently dropped. */
    private readonly warn: (message: string) => void = (message) =>
      process.stderr.write(`livegate: ${message}\n`),
  ) {
    const name = createHash('sha256').update(`${store}\0${scope}`).digest('hex').slice(0, 24);
    this.file = path.join(stateDir, 'store-marks', `${name}.json`);
  }

  /**
   * A mark that cannot be read is damaged, not absent: it may have held a revision the store has
   * since lost, so the store's state is not taken as the truth until a write after it (fail closed).
   */
  load(): LoadedMark {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return this.damaged(`cannot be read (${String(error)})`);
    }
    try {
      const mark = markSchema.parse(JSON.parse(text));
      if (mark.store !== this.store || mark.scope !== this.scope) {
        return this.damaged(
          `belongs to ${mark.store} ${mark.scope}, not ${this.store} ${this.scope}`,
        );
      }
      return {
        generation: mark.generation,
        revision: mark.revision,
        superseded: mark.superseded,
        ...(mark.distrusted === true ? { distrusted: true } : {}),
      };
    } catch (error) {
      return this.damaged(
        `is not valid (${text.length === 0 ? 'empty' : error instanceof Error ? error.message : String(error)})`,
      );
    }
  }

  private damaged(problem: string): LoadedMark {
    const damaged = `high-water mark ${this.file} ${problem}`;
    this.warn(
      `${damaged}: the store's state is not taken as the truth (fail closed) until a reset or kill is written after it`,
    );
    return { damaged };
  }

  /** Coalesced: one write in flight, the newest floor written next. A failed write is retried at the next. */
  save(floor: RevisionFloor): void {
    this.pending = floor;
    this.writing = this.writing.then(() => this.writePending());
  }

  flush(): Promise<void> {
    return this.writing;
  }

  private async writePending(): Promise<void> {
    const floor = this.pending;
    if (floor === undefined) return;
    this.pending = undefined;
    const temporary = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const body = JSON.stringify({ store: this.store, scope: this.scope, ...floor });
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      // On disk before it replaces the old mark: a power cut must not leave an empty one.
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.file);
      this.failing = false;
    } catch (error) {
      // A full disk or a read-only state dir: the in-memory mark still protects this process,
      // but a later one on this state dir would start from an older mark: said once per outage.
      await unlink(temporary).catch(() => undefined);
      if (!this.failing) {
        this.failing = true;
        this.warn(
          `high-water mark ${this.file} cannot be written (${error instanceof Error ? error.message : String(error)}): a process started later on this state dir starts from the last mark written, below revision ${floor.revision}`,
        );
      }
    }
  }
}

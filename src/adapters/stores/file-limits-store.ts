// Live limits in the file store: <stateDir>/limits/<revision>.json, each claimed with link(2) so of
// two writers of the same revision exactly one succeeds (as kill-switch revisions are).

import { mkdir, readdir, readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { LivegateError } from '../../core/errors.js';
import type { LimitsRecord } from '../../core/limits-record.js';
import type { LimitsStore } from '../../core/ports.js';
import { parseRevisionFileName, revisionFileName } from './file-kill-switch-layout.js';
import { claimRevision, writeDurableFile } from './file-kill-switch-writer.js';

/**
 * The codec (and zod with it) loads on the first limits read or write: every file-store command
 * builds this store, and `kill`, `reduce`, `reset` and `status` never touch a limits record.
 */
const limitsRecordCodec = (): Promise<typeof import('./limits-record-codec.js')> =>
  import('./limits-record-codec.js');

export class FileLimitsStore implements LimitsStore {
  private readonly directory: string;
  private readonly temporary: string;

  constructor(stateDirectory: string) {
    this.directory = join(stateDirectory, 'limits');
    this.temporary = join(this.directory, 'tmp');
  }

  async latest(): Promise<LimitsRecord | null> {
    const revisions = await this.revisions();
    const last = revisions[revisions.length - 1];
    return last === undefined ? null : this.readRevision(last);
  }

  async append(record: LimitsRecord): Promise<boolean> {
    await mkdir(this.temporary, { recursive: true });
    const temporary = join(
      this.temporary,
      `limits-${process.pid}-${randomBytes(6).toString('hex')}.json`,
    );
    const { serialiseLimitsRecord } = await limitsRecordCodec();
    await writeDurableFile(temporary, `${serialiseLimitsRecord(record)}\n`);
    return claimRevision(temporary, join(this.directory, revisionFileName(record.revision)));
  }

  async history(): Promise<LimitsRecord[]> {
    const revisions = await this.revisions();
    return Promise.all(revisions.map((revision) => this.readRevision(revision)));
  }

  private async revisions(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw unreadable(this.directory, error);
    }
    return names
      .map(parseRevisionFileName)
      .filter((revision): revision is number => revision !== undefined)
      .sort((a, b) => a - b);
  }

  private async readRevision(revision: number): Promise<LimitsRecord> {
    const path = join(this.directory, revisionFileName(revision));
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw unreadable(path, error);
    }
    const { parseLimitsRecord } = await limitsRecordCodec();
    const record = parseLimitsRecord(text, path, revision);
    if (record.revision !== revision) {
      throw new LivegateError(
        'ERR_STATE_UNREADABLE',
        `limits record ${path} says revision ${record.revision}`,
      );
    }
    return record;
  }
}

function unreadable(path: string, error: unknown): LivegateError {
  return new LivegateError('ERR_STATE_UNREADABLE', `cannot read live limits at ${path}`, {
    cause: error,
  });
}

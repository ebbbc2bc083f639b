// Engine heartbeats as one small file per engine, next to (not inside) the kill-switch state.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LivegateError } from '../../core/errors.js';
import type { EngineReport } from '../../core/kill-switch-record.js';
import { BoundedFileReader, errorCode, type FileReadLimits } from './file-bounded-reader.js';
import {
  readEngineReport,
  unreadableEngineReport,
  validEngineReport,
} from './kill-switch-record-check.js';
import { engineReportFileName } from './file-kill-switch-layout.js';
import { STALE_TEMPORARY_FILE_MS, writeFailed } from './file-kill-switch-writer.js';

const TEMPORARY_SUFFIX = '.tmp';

/** What is in the engines directory: the valid reports, and why each other file is not one. */
export interface EngineReportScan {
  readonly reports: EngineReport[];
  readonly unreadable: LivegateError[];
}

/**
 * No fsync: a report lost in a crash only makes an engine look absent until its next heartbeat,
 * and heartbeats are frequent. Rename still keeps readers from seeing half a report.
 *
 * Reads go through a BoundedFileReader like the kill-switch state's: `livegate kill` and `status`
 * list these files, and a FIFO (or a stalled disk) here must not hang them.
 */
export class FileEngineReports {
  private readonly files: BoundedFileReader;

  constructor(
    private readonly directory: string,
    limits: FileReadLimits,
  ) {
    this.files = new BoundedFileReader(limits, unreadableReport);
  }

  async publish(report: EngineReport): Promise<void> {
    const valid = validEngineReport(report);
    const name = engineReportFileName(report.engineId);
    const target = join(this.directory, name);
    // Dot-prefixed so list() never mistakes a half-written temp file for a report.
    const temporary = join(
      this.directory,
      `.${name}.${process.pid}.${randomBytes(4).toString('hex')}${TEMPORARY_SUFFIX}`,
    );
    try {
      await mkdir(this.directory, { recursive: true });
      await writeFile(temporary, JSON.stringify(valid), { encoding: 'utf8', flag: 'wx' });
      await rename(temporary, target);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw writeFailed('publish engine report', target, error);
    }
  }

  async remove(engineId: string): Promise<void> {
    const path = join(this.directory, engineReportFileName(engineId));
    try {
      await unlink(path);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw writeFailed('remove engine report', path, error);
    }
  }

  /**
   * Every registered engine: a report that cannot be read or parsed is listed as a placeholder
   * with `unreadable` set (scan() also returns the errors), so it still has to confirm a kill.
   */
  async list(): Promise<EngineReport[]> {
    return (await this.scan()).reports;
  }

  /** One engine's report; a file that cannot be read or parsed is a placeholder naming why. */
  async readOne(engineId: string): Promise<EngineReport | undefined> {
    const name = engineReportFileName(engineId);
    const key = name.slice(0, -'.json'.length);
    try {
      return await this.read(join(this.directory, name), key);
    } catch (error) {
      if (!(error instanceof LivegateError)) throw error;
      return unreadableEngineReport(key, error.message);
    }
  }

  async scan(): Promise<EngineReportScan> {
    const names = (await this.files.readdir(this.directory)) ?? [];
    const reports: EngineReport[] = [];
    const unreadable: LivegateError[] = [];
    for (const name of names) {
      if (name.startsWith('.')) {
        if (name.endsWith(TEMPORARY_SUFFIX)) await this.removeIfStale(join(this.directory, name));
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const key = name.slice(0, -'.json'.length);
      try {
        const report = await this.read(join(this.directory, name), key);
        if (report !== undefined) reports.push(report);
      } catch (error) {
        if (!(error instanceof LivegateError)) throw error;
        unreadable.push(error);
        // Still listed: a registered engine whose report cannot be read must confirm a kill.
        reports.push(unreadableEngineReport(key, error.message));
      }
    }
    reports.sort((a, b) => (a.engineId < b.engineId ? -1 : a.engineId > b.engineId ? 1 : 0));
    return { reports, unreadable };
  }

  /**
   * undefined when the file went away (its engine stopped) between listing and reading; a report
   * that parses badly comes back as a placeholder naming the problem (see readEngineReport).
   */
  private async read(path: string, key: string): Promise<EngineReport | undefined> {
    const text = await this.files.readFile(path);
    if (text === undefined) return undefined;
    return readEngineReport(text, key);
  }

  /** Temp files of a publisher killed mid-write would otherwise pile up forever. */
  private async removeIfStale(path: string): Promise<void> {
    try {
      if (Date.now() - (await stat(path)).mtimeMs > STALE_TEMPORARY_FILE_MS) await unlink(path);
    } catch {
      // Gone already, or renamed by its writer in the meantime.
    }
  }
}

function unreadableReport(
  path: string,
  problem: string,
  cause: unknown,
  timedOut: boolean,
): LivegateError {
  return new LivegateError(
    'ERR_STATE_UNREADABLE',
    `Engine report ${path} is unreadable: ${problem}`,
    {
      cause,
      details: timedOut ? { path, problem, timedOut } : { path, problem },
    },
  );
}

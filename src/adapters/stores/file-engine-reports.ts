// Engine heartbeats as one small file per engine, next to (not inside) the kill-switch state.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LivegateError } from '../../core/errors.js';
import type { EngineReport } from '../../core/kill-switch-record.js';
import { engineReportSchema, validEngineReport } from './kill-switch-record-schema.js';
import { engineReportFileName } from './file-kill-switch-layout.js';
import { errorCode } from './file-bounded-reader.js';
import { STALE_TEMPORARY_FILE_MS, writeFailed } from './file-kill-switch-writer.js';

const TEMPORARY_SUFFIX = '.tmp';

/**
 * No fsync: a report lost in a crash only makes an engine look absent until its next heartbeat,
 * and heartbeats are frequent. Rename still keeps readers from seeing half a report.
 */
export class FileEngineReports {
  constructor(private readonly directory: string) {}

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

  /** Skips files that fail validation: a bad report makes one engine look absent, not all. */
  async list(): Promise<EngineReport[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw new LivegateError(
        'ERR_STATE_UNREADABLE',
        `Engine reports in ${this.directory} cannot be listed: ${errorCode(error) ?? String(error)}`,
        { cause: error, details: { path: this.directory } },
      );
    }
    const reports: EngineReport[] = [];
    for (const name of names) {
      if (name.startsWith('.')) {
        if (name.endsWith(TEMPORARY_SUFFIX)) await this.removeIfStale(join(this.directory, name));
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const report = await readReport(join(this.directory, name));
      if (report !== undefined) reports.push(report);
    }
    return reports.sort((a, b) => (a.engineId < b.engineId ? -1 : a.engineId > b.engineId ? 1 : 0));
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

async function readReport(path: string): Promise<EngineReport | undefined> {
  try {
    const parsed = engineReportSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

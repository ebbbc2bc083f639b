// Durable file operations for the file store: fsynced temp files, directory fsyncs, set-aside, cleanup.
import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import type { FileKillSwitchLayout } from './file-kill-switch-layout.js';
import { errorCode } from './file-bounded-reader.js';

/** Temp files older than this belong to a writer that died: nobody else will ever clean them. */
export const STALE_TEMPORARY_FILE_MS = 60_000;

export function writeFailed(action: string, path: string, cause: unknown): LivegateError {
  const code = errorCode(cause) ?? String(cause);
  return new LivegateError('ERR_STATE_WRITE_FAILED', `Could not ${action} ${path}: ${code}`, {
    cause,
    details: { path, action },
  });
}

/** Unique per process and call, so concurrent writers never share a temp file. */
export function temporaryPath(layout: FileKillSwitchLayout, prefix: string): string {
  const unique = `${prefix}-${process.pid}-${randomBytes(6).toString('hex')}.json`;
  return join(layout.temporaryDirectory, unique);
}

export function serialiseRecord(record: KillSwitchRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** Written with O_EXCL and fsynced, so once the name is linked the content is on disk. */
export async function writeDurableFile(path: string, content: string): Promise<void> {
  let created = false;
  try {
    const handle = await open(path, 'wx', 0o644);
    created = true;
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (created) await unlink(path).catch(() => undefined);
    throw writeFailed('write', path, error);
  }
}

/** A new or renamed directory entry is durable only once its directory is fsynced. */
export async function fsyncDirectory(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw writeFailed('fsync directory', path, error);
  }
}

/** Creates the layout (also after it was deleted) and makes new directories durable. */
export async function ensureDirectories(layout: FileKillSwitchLayout): Promise<void> {
  let firstCreated: string | undefined;
  try {
    firstCreated = await mkdir(layout.revisionsDirectory, { recursive: true });
    await mkdir(layout.temporaryDirectory, { recursive: true });
  } catch (error) {
    throw writeFailed('create directory', layout.revisionsDirectory, error);
  }
  if (firstCreated === undefined) return;
  // fsync every directory that gained an entry: the parent of the first new one down to killswitch/.
  for (let directory = layout.revisionsDirectory; ; directory = dirname(directory)) {
    await fsyncDirectory(dirname(directory));
    if (directory === firstCreated || dirname(directory) === directory) break;
  }
}

/** link() is the exclusive revision slot: false when another writer already took it. */
export async function claimRevision(temporary: string, target: string): Promise<boolean> {
  try {
    await link(temporary, target);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw writeFailed('link revision', target, error);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** Replaces state.json atomically: readers see the old or the new copy, never a mix. */
export async function writeStatePointer(
  layout: FileKillSwitchLayout,
  record: KillSwitchRecord,
): Promise<void> {
  const temporary = temporaryPath(layout, 'state');
  await writeDurableFile(temporary, serialiseRecord(record));
  try {
    await rename(temporary, layout.statePath);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw writeFailed('replace', layout.statePath, error);
  }
  await fsyncDirectory(layout.killSwitchDirectory);
}

/** Moves an unreadable file out of the way without losing it; returns where it went. */
export async function setAside(path: string, now: number): Promise<string | undefined> {
  if (!(await exists(path))) return undefined;
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const target = `${path}.unreadable-${stamp}-${randomBytes(3).toString('hex')}`;
  try {
    await rename(path, target);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw writeFailed('set aside unreadable', path, error);
  }
  await fsyncDirectory(dirname(path));
  return target;
}

/** Best effort: a temp file that cannot be removed only wastes space, it never blocks a writer. */
export async function removeStaleTemporaryFiles(directory: string, now: number): Promise<void> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(directory, name);
    try {
      if (now - (await stat(path)).mtimeMs > STALE_TEMPORARY_FILE_MS) await unlink(path);
    } catch {
      // Already removed by another writer, or not ours to remove.
    }
  }
}

/** Whether anything (even a dangling link) is at `path`; an error counts as absent, as before. */
export async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

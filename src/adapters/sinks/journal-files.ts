// File plumbing of the JSONL journal: opening, flushing and ending sonic-boom streams, and its error.

import { closeSync, fstatSync, open, openSync, readSync } from 'node:fs';
import type sonicBoom from 'sonic-boom';
import { LivegateError } from '../../core/errors.js';

/** sonic-boom's typings miss `destroyed` and the Buffers that contentMode "buffer" takes. */
export type SonicBoom = InstanceType<typeof sonicBoom.SonicBoom> & {
  readonly destroyed: boolean;
  write(data: Buffer): boolean;
};

/** Opens (or creates) the journal and says whether it ends mid-line. */
export function openExisting(path: string): { fd: number; size: number; endsWithNewline: boolean } {
  // a+ rather than a: the last byte is read to detect a torn line left by a crash.
  const fd = openSync(path, 'a+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { fd, size, endsWithNewline: true };
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return { fd, size, endsWithNewline: last[0] === 0x0a };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

export function openForAppend(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, 'a', (error, fd) => (error === null ? resolve(fd) : reject(error)));
  });
}

export function flushStream(stream: SonicBoom, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.flush((error) => {
      if (error === undefined || error === null) resolve();
      else reject(journalError(`cannot flush ${path}`, error));
    });
  });
}

/** Resolves once the file is closed; an end that fails destroys the stream so nothing waits forever. */
export function endStream(stream: SonicBoom): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed) {
      resolve();
      return;
    }
    const onClose = (): void => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (): void => {
      stream.off('close', onClose);
      if (!stream.destroyed) stream.destroy();
      resolve();
    };
    stream.once('close', onClose);
    stream.once('error', onError);
    stream.end();
  });
}

export function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

export function journalError(message: string, cause: unknown): LivegateError {
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  return new LivegateError('ERR_JOURNAL_FAILED', `${message}${reason}`, { cause });
}

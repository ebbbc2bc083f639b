// File reads that cannot hang the caller: a FIFO, a device or a stalled disk fails instead of blocking.
import { constants, type Stats } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { isLivegateError, type LivegateError } from '../../core/errors.js';
import { settleBefore } from '../../core/settle-before.js';

/*
 * Why each step. open() with O_NONBLOCK returns at once on a FIFO, where a plain open waits for a
 * writer that may never come; fstat on the handle (not the path) checks the very file that would be
 * read; only a regular file is read, and only up to maxBytes. Every call runs on libuv's thread
 * pool, so the event loop keeps turning while it waits, and each is raced against timeoutMs.
 *
 * A call that loses the race cannot be cancelled: its pool thread stays blocked until the disk
 * answers. While one is still out, new calls are refused at once instead of being queued behind
 * it: the pool has four threads and also serves writes, dns.lookup and crypto, so a dead disk
 * must not be fed more of them.
 */

export interface FileReadLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/** Builds the caller's error (kill-switch state, engine report) for a path and what is wrong. */
export type UnreadableFile = (
  path: string,
  problem: string,
  cause: unknown,
  timedOut: boolean,
) => LivegateError;

/** O_NOCTTY: a terminal device must not become the process's controlling terminal by being opened. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

export function errorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describeFsError(error: unknown): string {
  const code = errorCode(error);
  return code === undefined ? String(error) : `${code} (${(error as Error).message})`;
}

export class BoundedFileReader {
  /** Calls that timed out and are still blocking a pool thread. */
  private abandoned = 0;
  private abandonedPath = '';

  constructor(
    private readonly limits: FileReadLimits,
    private readonly unreadable: UnreadableFile,
  ) {}

  /** The content of a regular file, or undefined when nothing exists at `path`. */
  readFile(path: string): Promise<string | undefined> {
    return this.bounded(path, () => this.readRegularFile(path));
  }

  /** undefined when nothing exists at `path`. */
  stat(path: string): Promise<Stats | undefined> {
    return this.bounded(path, () =>
      stat(path).catch((error: unknown) => this.missing(path, error)),
    );
  }

  /** undefined when the directory does not exist. */
  readdir(path: string): Promise<string[] | undefined> {
    return this.bounded(path, () =>
      readdir(path).catch((error: unknown) => this.missing(path, error)),
    );
  }

  private missing(path: string, error: unknown): undefined {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw this.unreadable(path, describeFsError(error), error, false);
  }

  private async readRegularFile(path: string): Promise<string | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(path, OPEN_FLAGS);
    } catch (error) {
      return this.missing(path, error);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) {
        throw this.unreadable(path, `${describeKind(stats)}, not a regular file`, undefined, false);
      }
      return await this.readUpToLimit(path, handle, stats.size);
    } catch (error) {
      if (isLivegateError(error)) throw error;
      throw this.unreadable(path, describeFsError(error), error, false);
    } finally {
      // Not awaited: the content is in hand, and on a busy loop every wait costs a turn.
      void handle.close().catch(() => undefined);
    }
  }

  /** Reads to end of file, refusing more than maxBytes even if the file grew after fstat. */
  private async readUpToLimit(path: string, handle: FileHandle, size: number): Promise<string> {
    const { maxBytes } = this.limits;
    const tooLarge = (bytes: number) =>
      this.unreadable(path, `${bytes} bytes, over the ${maxBytes}-byte limit`, undefined, false);
    if (size > maxBytes) throw tooLarge(size);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // One byte more than expected: a short read of a regular file means end of file. A file
      // that grew after fstat is read on in 64 KiB steps until it ends or passes the limit.
      const wanted = (total < size ? size - total : 64 * 1024) + 1;
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(wanted), 0, wanted, null);
      if (bytesRead > 0) chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(total);
      if (bytesRead < wanted) return Buffer.concat(chunks, total).toString('utf8');
    }
  }

  private bounded<T>(path: string, call: () => Promise<T>): Promise<T> {
    const { timeoutMs } = this.limits;
    if (this.abandoned > 0) {
      const problem = `an earlier read of ${this.abandonedPath} did not finish within ${timeoutMs} ms and is still waiting (stalled disk?)`;
      return Promise.reject(this.unreadable(path, problem, undefined, true));
    }
    const pending = call();
    // A blocked process (loading a venue client, a long GC) is not a stalled disk: settleBefore
    // gives the read its window again once when its timer fires far too late.
    return settleBefore(
      pending,
      performance.now() + timeoutMs,
      () => {
        this.abandon(path, pending);
        return this.unreadable(path, `read did not finish within ${timeoutMs} ms`, undefined, true);
      },
      { windowAgainAfterStall: true },
    );
  }

  private abandon(path: string, pending: Promise<unknown>): void {
    this.abandoned += 1;
    this.abandonedPath = path;
    const settled = () => {
      this.abandoned -= 1;
    };
    pending.then(settled, settled);
  }
}

function describeKind(stats: Stats): string {
  if (stats.isFIFO()) return 'is a FIFO';
  if (stats.isDirectory()) return 'is a directory (EISDIR)';
  if (stats.isCharacterDevice()) return 'is a character device';
  if (stats.isBlockDevice()) return 'is a block device';
  if (stats.isSocket()) return 'is a socket';
  return 'is not a regular file';
}

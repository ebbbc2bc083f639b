// The journal's share of its disk: it may write only while the filesystem keeps `reserveBytes` free
// for what must never fail for lack of space (the kill-switch state beside it).

import { statfsSync } from 'node:fs';
import { LivegateError } from '../../core/errors.js';
import { journalError } from './journal-files.js';

/** Look at the filesystem again after at most this many bytes: one statfs per 256 KiB, not per event. */
const CHECK_EVERY_BYTES = 256 * 1024;
/** ...and sooner on a small reserve, so a disk filled by someone else costs at most a quarter of it. */
const RESERVE_FRACTION_PER_CHECK = 4;

export type StatFs = (path: string) => { bavail: number; bsize: number };

/**
 * A byte allowance refreshed from statfs: `take()` is a subtraction until the allowance runs out.
 * Bytes handed to the stream but not yet on disk do not show in statfs, so they are counted here.
 */
export class JournalSpace {
  private allowance: number;
  private accepted = 0;
  private written = 0;
  private readonly bytesPerCheck: number;

  constructor(
    private readonly directory: string,
    private readonly reserveBytes: number,
    private readonly statfs: StatFs = statfsSync,
  ) {
    this.allowance = reserveBytes === 0 ? Number.POSITIVE_INFINITY : 0;
    this.bytesPerCheck = Math.max(
      4096,
      Math.min(CHECK_EVERY_BYTES, Math.floor(reserveBytes / RESERVE_FRACTION_PER_CHECK)),
    );
  }

  /** Claims `bytes` for the journal, or returns why it may not have them. */
  take(bytes: number): LivegateError | undefined {
    if (bytes > this.allowance) {
      const refusal = this.refresh(bytes);
      if (refusal !== undefined) return refusal;
    }
    this.allowance -= bytes;
    this.accepted += bytes;
    return undefined;
  }

  /** Checks now (at open); undefined when the disk has room beyond the reserve. */
  check(): LivegateError | undefined {
    return this.reserveBytes === 0 ? undefined : this.refresh(0);
  }

  /** A new file is about to start (rotation): look at the disk again before its first bytes. */
  recheck(): void {
    if (this.reserveBytes !== 0) this.allowance = 0;
  }

  /** Bytes the OS has accepted from any of the journal's streams. */
  wrote(bytes: number): void {
    this.written += bytes;
  }

  private refresh(needed: number): LivegateError | undefined {
    let free: number;
    let blockSize: number;
    try {
      const stats = this.statfs(this.directory);
      free = stats.bavail * stats.bsize;
      blockSize = stats.bsize;
    } catch (error) {
      return journalError(`cannot read the free space of ${this.directory}`, error);
    }
    // One block of slack: the tail of a file rounds up to a whole block.
    const unwritten = this.accepted - this.written;
    const headroom = free - this.reserveBytes - unwritten - blockSize;
    if (headroom < needed) {
      this.allowance = 0;
      return new LivegateError(
        'ERR_JOURNAL_FAILED',
        `journal at its reserve: ${free} bytes free on the filesystem of ${this.directory}, and journal.reserveBytes ` +
          `keeps ${this.reserveBytes} of them for the kill-switch state`,
        { details: { freeBytes: free, reserveBytes: this.reserveBytes, path: this.directory } },
      );
    }
    this.allowance = Math.max(needed, Math.min(headroom, this.bytesPerCheck));
    return undefined;
  }
}

// Append-only JSONL event journal with size-based rotation; write() only buffers and sonic-boom writes behind it.

import { closeSync, fstatSync, mkdirSync, open, openSync, readSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import sonicBoom from 'sonic-boom';
import { LivegateError } from '../../core/errors.js';
import type { LivegateEvent } from '../../core/events.js';
import type { EventSink } from '../../core/ports.js';
import { JOURNAL_FILE_NAME, listRotatedFiles, rotatedFileName } from './journal-reader.js';

export { JOURNAL_FILE_NAME } from './journal-reader.js';

/** sonic-boom's typings miss `destroyed` and the Buffers that contentMode "buffer" takes. */
type SonicBoom = InstanceType<typeof sonicBoom.SonicBoom> & {
  readonly destroyed: boolean;
  write(data: Buffer): boolean;
};

const MEBIBYTE = 1024 * 1024;
/** Buffer at least this much before a write, to amortise syscalls at high event rates... */
const MIN_BUFFER_BYTES = 4096;
/** ...and still hand a quiet engine's last events to the OS within this many ms. */
const IDLE_FLUSH_MS = 100;
/** Writes bigger than sonic-boom's 16 KiB default more than double throughput (measured). */
const MAX_WRITE_BYTES = 256 * 1024;
const NEWLINE = Buffer.from('\n');

export interface JsonlJournalSinkOptions {
  readonly directory: string;
  /** Prefix of every event id (`<runId>:<seq>`); unique per run so ids never repeat across runs. */
  readonly runId: string;
  /** Rotate before the current file would grow past this. Default 64 MiB. */
  readonly maxFileBytes?: number;
  /** Rotated files kept; older ones are deleted. Default 10. */
  readonly maxFiles?: number;
  /** Bytes allowed to wait for the disk; beyond it events are dropped and reported rather than exhausting memory. Default 64 MiB. */
  readonly maxBufferedBytes?: number;
  /** Write failures end up here, never as exceptions in the caller. Default: a process warning. */
  readonly onError?: (error: LivegateError) => void;
}

export class JsonlJournalSink implements EventSink {
  readonly name = 'jsonl-journal';
  private readonly directory: string;
  private readonly path: string;
  private readonly idPrefix: string;
  private readonly maxFileBytes: number;
  private readonly maxFiles: number;
  private readonly maxBufferedBytes: number;
  private readonly onError: (error: LivegateError) => void;
  private seq = 0;
  private stream: SonicBoom;
  /** Bytes in the current file, counted here so rotation never needs a stat. */
  private bytes: number;
  private lastSeqInFile = 0;
  /** Set while a rotation renames the file and opens the next; lines wait in `pending` meanwhile. */
  private rotation: Promise<void> | undefined;
  private pendingLines: Buffer[] = [];
  private pendingSeqs: number[] = [];
  private pendingBytes = 0;
  /** Rotated-out streams still writing their tail, then pruning; flush() and close() wait for it. */
  private retiring: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  /** Set after an I/O failure so a dead disk is reported once, not once per event. */
  private failing = false;
  private reportedClosed = false;

  constructor(options: JsonlJournalSinkOptions) {
    validateOptions(options);
    this.directory = options.directory;
    this.path = join(options.directory, JOURNAL_FILE_NAME);
    this.idPrefix = `{"id":${JSON.stringify(`${options.runId}:`).slice(0, -1)}`;
    this.maxFileBytes = options.maxFileBytes ?? 64 * MEBIBYTE;
    this.maxFiles = options.maxFiles ?? 10;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * MEBIBYTE;
    this.onError = options.onError ?? ((error) => process.emitWarning(error));
    // Synchronous once, at startup: an unwritable journal should stop a run before it trades.
    try {
      mkdirSync(options.directory, { recursive: true });
      const { fd, size, endsWithNewline } = openExisting(this.path);
      this.stream = this.createStream(fd);
      this.bytes = size;
      // A crash may have left a torn last line; start on a fresh line so our first event stays readable.
      if (!endsWithNewline) {
        this.stream.write(NEWLINE);
        this.bytes += 1;
      }
    } catch (error) {
      throw journalError(`cannot open the journal ${this.path}`, error);
    }
  }

  write(event: LivegateEvent): void {
    if (this.closing !== undefined) {
      if (!this.reportedClosed) {
        this.reportedClosed = true;
        this.onError(
          new LivegateError('ERR_JOURNAL_FAILED', 'events written after close() are dropped'),
        );
      }
      return;
    }
    // A seq is consumed even if serialising fails, so the gap in the journal shows the loss.
    const seq = ++this.seq;
    let body: string;
    try {
      body = JSON.stringify(event);
    } catch (error) {
      this.onError(journalError(`event ${seq} (${event.type}) cannot be serialised`, error));
      return;
    }
    const rest = body.length > 2 ? `,${body.slice(1)}` : '}';
    // Buffers, not strings: in string mode sonic-boom re-measures its whole chunk on every write.
    this.append(Buffer.from(`${this.idPrefix}${seq}","seq":${seq}${rest}\n`), seq);
  }

  /** Resolves once every event written so far is in the OS (fsynced); rejects with ERR_JOURNAL_FAILED if not. */
  async flush(): Promise<void> {
    await this.settle();
    await flushStream(this.stream, this.path);
  }

  /** Flushes, fsyncs and closes; rejects with ERR_JOURNAL_FAILED when the tail could not be written. */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<void> {
    await this.settle();
    try {
      await flushStream(this.stream, this.path);
    } finally {
      await endStream(this.stream);
    }
  }

  /** Waits until no rotation is in flight and every rotated-out file is complete. */
  private async settle(): Promise<void> {
    for (;;) {
      if (this.rotation !== undefined) await this.rotation;
      // A rotation can start and finish while we wait, chaining a newer prune behind this one.
      const retiring = this.retiring;
      await retiring;
      if (this.rotation === undefined && this.retiring === retiring) return;
    }
  }

  private append(line: Buffer, seq: number): void {
    if (
      this.rotation === undefined &&
      this.bytes > 0 &&
      this.bytes + line.length > this.maxFileBytes
    ) {
      this.startRotation();
    }
    if (this.rotation !== undefined) {
      this.hold(line, seq);
      return;
    }
    this.bytes += line.length;
    this.lastSeqInFile = seq;
    this.stream.write(line);
  }

  private hold(line: Buffer, seq: number): void {
    if (this.pendingBytes + line.length > this.maxBufferedBytes) {
      this.reportIo(
        new LivegateError('ERR_JOURNAL_FAILED', `journal buffer full; event ${seq} dropped`),
      );
      return;
    }
    this.pendingLines.push(line);
    this.pendingSeqs.push(seq);
    this.pendingBytes += line.length;
  }

  private startRotation(): void {
    const rotation = this.swapFile(this.stream, this.lastSeqInFile).then(() => {
      this.rotation = undefined;
      this.replayPending();
    });
    this.rotation = rotation;
  }

  /**
   * Renames the full file while its stream is still open (the stream keeps writing its buffered tail
   * into the renamed file), then opens a fresh journal.jsonl. Only the rename and the open hold up
   * events, not the final write and fsync of the old file.
   */
  private async swapFile(previous: SonicBoom, lastSeq: number): Promise<void> {
    try {
      await rename(this.path, join(this.directory, rotatedFileName(new Date(), lastSeq)));
    } catch (error) {
      // Keep appending to the file we have: bigger than asked, but nothing lost or reordered.
      this.reportIo(journalError(`cannot rotate ${this.path}`, error));
      this.bytes = 0;
      return;
    }
    let fd: number;
    try {
      fd = await openForAppend(this.path);
    } catch (error) {
      // The old stream still works (it writes into the rotated file): better misnamed than lost.
      this.reportIo(journalError(`cannot open a new ${this.path}`, error));
      this.bytes = 0;
      return;
    }
    this.stream = this.createStream(fd);
    this.bytes = 0;
    const ended = endStream(previous);
    this.retiring = this.retiring.then(() => ended).then(() => this.prune());
  }

  private replayPending(): void {
    const lines = this.pendingLines;
    const seqs = this.pendingSeqs;
    this.pendingLines = [];
    this.pendingSeqs = [];
    this.pendingBytes = 0;
    // May start the next rotation part way through; the rest then waits in `pending` again, in order.
    for (let index = 0; index < lines.length; index++) {
      this.append(lines[index] as Buffer, seqs[index] as number);
    }
  }

  private async prune(): Promise<void> {
    try {
      const rotated = await listRotatedFiles(this.directory);
      for (const name of rotated.slice(0, Math.max(0, rotated.length - this.maxFiles))) {
        await unlink(join(this.directory, name)).catch(ignoreMissing);
      }
    } catch (error) {
      this.reportIo(journalError(`cannot delete old journal files in ${this.directory}`, error));
    }
  }

  private createStream(fd: number): SonicBoom {
    const stream = new sonicBoom.SonicBoom({
      fd,
      sync: false,
      contentMode: 'buffer',
      minLength: MIN_BUFFER_BYTES,
      periodicFlush: IDLE_FLUSH_MS,
      maxWrite: MAX_WRITE_BYTES,
      maxLength: this.maxBufferedBytes,
    }) as SonicBoom;
    stream.on('error', (error: Error) => {
      this.reportIo(journalError(`cannot write ${this.path}`, error));
    });
    stream.on('drop', () => {
      this.reportIo(new LivegateError('ERR_JOURNAL_FAILED', 'journal buffer full; events dropped'));
    });
    stream.on('write', () => {
      this.failing = false;
    });
    return stream;
  }

  private reportIo(error: LivegateError): void {
    if (this.failing) return;
    this.failing = true;
    this.onError(error);
  }
}

/** Opens (or creates) the journal and says whether it ends mid-line. */
function openExisting(path: string): { fd: number; size: number; endsWithNewline: boolean } {
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

function openForAppend(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, 'a', (error, fd) => (error === null ? resolve(fd) : reject(error)));
  });
}

function flushStream(stream: SonicBoom, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.flush((error) => {
      if (error === undefined || error === null) resolve();
      else reject(journalError(`cannot flush ${path}`, error));
    });
  });
}

/** Resolves once the file is closed; an end that fails destroys the stream so nothing waits forever. */
function endStream(stream: SonicBoom): Promise<void> {
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

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

function journalError(message: string, cause: unknown): LivegateError {
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  return new LivegateError('ERR_JOURNAL_FAILED', `${message}${reason}`, { cause });
}

function validateOptions(options: JsonlJournalSinkOptions): void {
  const problems: string[] = [];
  for (const key of ['directory', 'runId'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') {
      problems.push(`${key}: must be a non-empty string`);
    }
  }
  for (const key of ['maxFileBytes', 'maxBufferedBytes'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      problems.push(`${key}: must be a positive integer`);
    }
  }
  const { maxFiles, onError } = options;
  if (maxFiles !== undefined && !(Number.isSafeInteger(maxFiles) && maxFiles >= 0)) {
    problems.push('maxFiles: must be an integer >= 0');
  }
  if (onError !== undefined && typeof onError !== 'function') {
    problems.push('onError: must be a function');
  }
  if (problems.length > 0) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `invalid journal options:\n${problems.join('\n')}`,
      {
        details: { issues: problems },
      },
    );
  }
}

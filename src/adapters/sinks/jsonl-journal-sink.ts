// Append-only JSONL event journal with size-based rotation; write() only buffers and sonic-boom writes behind it.
// A journal that cannot write stops for good and says so once: no buffer waits to eat freed space.

import { closeSync, mkdirSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import sonicBoom from 'sonic-boom';
import { LivegateError } from '../../core/errors.js';
import type { LivegateEvent } from '../../core/events.js';
import type { EventSink } from '../../core/ports.js';
import {
  endStream,
  flushStream,
  ignoreMissing,
  journalError,
  openExisting,
  openForAppend,
  type SonicBoom,
} from './journal-files.js';
import { JOURNAL_FILE_NAME, listRotatedFiles, rotatedFileName } from './journal-reader.js';
import { JournalSpace } from './journal-space.js';
import { validateOptions, type JsonlJournalSinkOptions } from './jsonl-journal-options.js';

export { JOURNAL_FILE_NAME } from './journal-reader.js';
export type { JsonlJournalSinkOptions } from './jsonl-journal-options.js';

const MEBIBYTE = 1024 * 1024;
/** Buffer at least this much before a write, to amortise syscalls at high event rates... */
const MIN_BUFFER_BYTES = 4096;
/** ...and still hand a quiet engine's last events to the OS within this many ms. */
const IDLE_FLUSH_MS = 100;
/** Writes bigger than sonic-boom's 16 KiB default more than double throughput (measured). */
const MAX_WRITE_BYTES = 256 * 1024;
const NEWLINE = Buffer.from('\n');

export class JsonlJournalSink implements EventSink {
  readonly name = 'jsonl-journal';
  private readonly directory: string;
  private readonly path: string;
  private readonly idPrefix: string;
  private readonly maxFileBytes: number;
  private readonly maxFiles: number;
  private readonly maxBufferedBytes: number;
  private readonly onError: (error: LivegateError) => void;
  private readonly onFailure: (error: LivegateError) => void;
  private readonly space: JournalSpace;
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
  /** Set after a rotation problem so it is reported once, not once per event, until a write succeeds. */
  private warned = false;
  private reportedClosed = false;
  private stoppedBy: LivegateError | undefined;
  private dropped = 0;

  constructor(options: JsonlJournalSinkOptions) {
    validateOptions(options);
    this.directory = options.directory;
    this.path = join(options.directory, JOURNAL_FILE_NAME);
    this.idPrefix = `{"id":${JSON.stringify(`${options.runId}:`).slice(0, -1)}`;
    this.maxFileBytes = options.maxFileBytes ?? 64 * MEBIBYTE;
    this.maxFiles = options.maxFiles ?? 10;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * MEBIBYTE;
    this.onError = options.onError ?? ((error) => process.emitWarning(error));
    this.onFailure = options.onFailure ?? this.onError;
    this.space = new JournalSpace(options.directory, options.reserveBytes ?? 64 * MEBIBYTE);
    // Synchronous once, at startup: an unwritable journal should stop a run before it trades.
    try {
      mkdirSync(options.directory, { recursive: true });
      const { fd, size, endsWithNewline } = openExisting(this.path);
      const refusal =
        this.space.check() ?? (endsWithNewline ? undefined : this.space.take(NEWLINE.length));
      if (refusal !== undefined) {
        closeSync(fd);
        throw refusal;
      }
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

  /** Why the journal stopped writing, or undefined while it writes. */
  get failure(): LivegateError | undefined {
    return this.stoppedBy;
  }

  /** Events lost because the journal stopped: the one that stopped it, those held, and every later one. */
  get droppedEvents(): number {
    return this.dropped;
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
    if (this.stoppedBy !== undefined) {
      this.dropped++;
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
    if (this.stoppedBy !== undefined) throw this.stoppedBy;
    await flushStream(this.stream, this.path).catch((error: unknown) => {
      throw this.stoppedBy ?? error;
    });
  }

  /** Flushes, fsyncs and closes; rejects with ERR_JOURNAL_FAILED when the tail could not be written. */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<void> {
    await this.settle();
    try {
      await this.flush();
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
    if (this.stoppedBy !== undefined) {
      this.dropped++;
      return;
    }
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
    const refusal = this.space.take(line.length);
    if (refusal !== undefined) {
      this.dropped++;
      this.stop(refusal);
      return;
    }
    this.bytes += line.length;
    this.lastSeqInFile = seq;
    this.stream.write(line);
  }

  private hold(line: Buffer, seq: number): void {
    if (this.pendingBytes + line.length > this.maxBufferedBytes) {
      this.dropped++;
      this.stop(
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
      this.warn(journalError(`cannot rotate ${this.path}`, error));
      this.bytes = 0;
      return;
    }
    let fd: number;
    try {
      fd = await openForAppend(this.path);
    } catch (error) {
      // The old stream still works (it writes into the rotated file): better misnamed than lost.
      this.warn(journalError(`cannot open a new ${this.path}`, error));
      this.bytes = 0;
      return;
    }
    this.stream = this.createStream(fd);
    this.bytes = 0;
    this.space.recheck();
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
      this.warn(journalError(`cannot delete old journal files in ${this.directory}`, error));
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
      // Its buffer must never reach the disk later: freed space would be eaten within milliseconds.
      if (!stream.destroyed) stream.destroy();
      this.stop(journalError(`cannot write ${this.path}`, error), 'discard');
    });
    stream.on('drop', () => {
      this.dropped++;
      this.stop(new LivegateError('ERR_JOURNAL_FAILED', 'journal buffer full; events dropped'));
    });
    stream.on('write', (bytes: number) => {
      this.space.wrote(bytes);
      this.warned = false;
    });
    return stream;
  }

  /**
   * Stops for good: later events are dropped and counted, and held lines are dropped now. After a
   * write error the buffer is discarded; otherwise the stream writes what it already holds (the
   * space check allowed for it) and closes.
   */
  private stop(error: LivegateError, buffered: 'write' | 'discard' = 'write'): void {
    if (this.stoppedBy !== undefined) return;
    this.stoppedBy = error;
    this.dropped += this.pendingLines.length;
    this.pendingLines = [];
    this.pendingSeqs = [];
    this.pendingBytes = 0;
    if (buffered === 'discard' && !this.stream.destroyed) this.stream.destroy();
    const ended = endStream(this.stream);
    this.retiring = this.retiring.then(() => ended);
    this.onFailure(error);
  }

  private warn(error: LivegateError): void {
    if (this.warned) return;
    this.warned = true;
    this.onError(error);
  }
}

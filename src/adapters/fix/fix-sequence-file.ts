// A FIX session's sequence numbers kept in a small file of the state dir, so a restarted process
// logs on where the last one left off (141=N), as venues whose sessions last the trading day expect.

import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { IFixMsgStoreRecord, IFixSessionStore, SessionId } from 'jspurefix';
import { LivegateError } from '../../core/errors.js';
import { messageOf } from '../../core/message-of.js';

/** Fixed width, written in place at offset 0: one small write, never a truncated file. */
const RECORD_BYTES = 64;

/**
 * O_NONBLOCK: open() returns at once on a FIFO (a plain open waits for a writer forever, and so
 * would the kill); O_NOCTTY: a terminal put there never becomes the controlling one.
 */
const OPEN_FLAGS = constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Where a session's numbers live: `<stateDir>/fix/<SenderCompID>-<TargetCompID>.seqnums`. */
export function sequenceFilePath(stateDir: string, senderCompId: string, targetCompId: string) {
  const name = `${encodeURIComponent(senderCompId)}-${encodeURIComponent(targetCompId)}.seqnums`;
  return join(stateDir, 'fix', name);
}

/**
 * jspurefix's session store over one file. The next outgoing number is written before the
 * message leaves (a restart that reused a number would be logged out by the venue); the next
 * incoming one at most once per event-loop turn, or, with `incomingLagMs`, only once that long
 * has passed since it came in: what a crash loses of the engine's journal (its last 100 ms) is
 * then asked again by resend, and the broker recognises the replays it did journal (ExecID).
 * Messages themselves are not kept: a venue's ResendRequest for what a previous process sent is
 * answered with a gap fill.
 */
export class FixSequenceFile implements IFixSessionStore {
  private sender = 1;
  private target = 1;
  private descriptor: number | undefined;
  private loaded = false;
  /** This process created the file (removed again if its first record cannot be written). */
  private createdNow = false;
  private flushScheduled = false;
  private created = new Date();
  /** The incoming number written to the file (behind `target` by up to `incomingLagMs`). */
  private savedTarget = 1;
  /** Incoming numbers not yet old enough to be written: [monotonic ms, number], oldest first. */
  private readonly maturing: Array<[number, number]> = [];
  private maturingTimer: NodeJS.Timeout | undefined;
  /** Set by a reset (ResetSeqNumFlag=Y): the next write may lower the numbers. */
  private lowering = false;
  /** The last write that failed (a full disk): the numbers live on in memory meanwhile. */
  writeFailure: string | undefined;

  constructor(
    readonly sessionId: SessionId,
    readonly path: string,
    /** The session logs on with ResetSeqNumFlag=Y: an empty or damaged file costs nothing. */
    private readonly resetOnLogon = false,
    /** How long an incoming number waits before it is written (0: the same event-loop turn). */
    private readonly incomingLagMs = 0,
  ) {}

  get senderSeqNum(): number {
    return this.sender;
  }

  set senderSeqNum(value: number) {
    this.sender = value;
    this.write();
  }

  get targetSeqNum(): number {
    return this.target;
  }

  set targetSeqNum(value: number) {
    this.target = value;
    if (this.incomingLagMs === 0) {
      this.savedTarget = value;
      this.writeSoon();
      return;
    }
    this.maturing.push([performance.now(), value]);
    this.maturingTimer ??= setTimeout(() => this.saveMatured(), this.incomingLagMs);
    this.maturingTimer.unref();
  }

  get creationTime(): Date {
    return this.created;
  }

  /** Reads the file once (later connections of the same process keep counting in memory). */
  initialize(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      this.descriptor = this.openFile();
      // Written back at once: numbers that cannot be saved stop the session before any logon
      // (sending with them would leave the next process logging on with stale ones).
      this.write();
      if (this.writeFailure !== undefined) {
        if (this.createdNow) rmSync(this.path, { force: true });
        throw new LivegateError(
          'ERR_BROKER_FAILED',
          `FIX sequence numbers ${this.path}: cannot be saved (${this.writeFailure}); nothing was sent: free space or make it writable`,
        );
      }
    } catch (error) {
      if (this.descriptor !== undefined) closeSync(this.descriptor);
      this.descriptor = undefined;
      if (error instanceof LivegateError) return Promise.reject(error);
      return Promise.reject(
        new LivegateError(
          'ERR_BROKER_FAILED',
          `FIX sequence numbers ${this.path}: ${messageOf(error)}`,
          { cause: error },
        ),
      );
    }
    this.loaded = true;
    return Promise.resolve();
  }

  setSenderSeqNum(value: number): Promise<void> {
    this.senderSeqNum = value;
    return Promise.resolve();
  }

  setTargetSeqNum(value: number): Promise<void> {
    this.targetSeqNum = value;
    return Promise.resolve();
  }

  nextSenderSeqNum(): Promise<number> {
    this.senderSeqNum = this.sender + 1;
    return Promise.resolve(this.sender);
  }

  nextTargetSeqNum(): Promise<number> {
    this.targetSeqNum = this.target + 1;
    return Promise.resolve(this.target);
  }

  /** ResetSeqNumFlag=Y: both back to 1. */
  reset(): Promise<void> {
    this.sender = 1;
    this.target = 1;
    this.savedTarget = 1;
    this.maturing.length = 0;
    this.lowering = true;
    this.created = new Date();
    this.write();
    return Promise.resolve();
  }

  put(_record: IFixMsgStoreRecord): Promise<void> {
    return Promise.resolve();
  }

  get(_seqNum: number): Promise<IFixMsgStoreRecord | null> {
    return Promise.resolve(null);
  }

  getRange(): Promise<IFixMsgStoreRecord[]> {
    return Promise.resolve([]);
  }

  flush(): Promise<void> {
    this.write();
    return Promise.resolve();
  }

  /** A clean end: every incoming number is written (the engine journals as it closes). */
  dispose(): Promise<void> {
    clearTimeout(this.maturingTimer);
    this.maturingTimer = undefined;
    this.maturing.length = 0;
    this.savedTarget = this.target;
    this.write();
    if (this.descriptor !== undefined) closeSync(this.descriptor);
    this.descriptor = undefined;
    this.loaded = false;
    return Promise.resolve();
  }

  /** A new file starts at 1/1; an existing one must be a regular file holding two numbers. */
  private openFile(): number {
    let created = true;
    let descriptor: number;
    try {
      descriptor = openSync(this.path, OPEN_FLAGS | constants.O_CREAT | constants.O_EXCL, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      created = false;
      descriptor = openSync(this.path, OPEN_FLAGS);
    }
    this.descriptor = descriptor;
    this.createdNow = created;
    if (created) return descriptor;
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) {
      throw new LivegateError(
        'ERR_BROKER_FAILED',
        `FIX sequence numbers ${this.path}: not a regular file (a FIFO, device or directory is refused, never read); remove it to start the session at 1`,
      );
    }
    const buffer = Buffer.alloc(RECORD_BYTES * 2);
    const length = readSync(descriptor, buffer, 0, buffer.length, 0);
    const text = buffer.toString('utf8', 0, length).trim();
    // An empty file is what a crash can leave of one just written (delayed allocation): damaged.
    // A short one an operator wrote by hand ("30 41") is fine if it parses.
    if (text === '' && this.resetOnLogon) return descriptor;
    if (text === '') {
      throw new LivegateError(
        'ERR_BROKER_FAILED',
        `FIX sequence numbers ${this.path}: damaged (empty, ${length} bytes); agree the numbers with the venue and write "<next sent> <next expected>", remove the file to start the session at 1, or set fix.resetSeqNumOnLogon`,
      );
    }
    try {
      this.parse(text);
    } catch (error) {
      if (!this.resetOnLogon) throw error;
    }
    return descriptor;
  }

  /** The numbers in the file now; undefined when it holds none (new, damaged). */
  private recorded(descriptor: number): [number, number] | undefined {
    const buffer = Buffer.alloc(RECORD_BYTES);
    const length = readSync(descriptor, buffer, 0, RECORD_BYTES, 0);
    const match = /^(\d+) (\d+)\s*$/.exec(buffer.toString('utf8', 0, length));
    return match === null ? undefined : [Number(match[1]), Number(match[2])];
  }

  private parse(text: string): void {
    const match = /^(\d+) (\d+)$/.exec(text);
    if (match === null) {
      throw new LivegateError(
        'ERR_BROKER_FAILED',
        `FIX sequence numbers ${this.path}: not "<next sent> <next expected>" (found ${JSON.stringify(text.slice(0, 40))}); remove the file to start the session at 1, or set fix.resetSeqNumOnLogon`,
      );
    }
    this.sender = Number(match[1]);
    this.target = Number(match[2]);
    this.savedTarget = this.target;
  }

  /** Writes the newest incoming number that has waited `incomingLagMs`; waits again for the rest. */
  private saveMatured(): void {
    this.maturingTimer = undefined;
    const due = performance.now() - this.incomingLagMs;
    let matured: number | undefined;
    while (this.maturing.length > 0 && this.maturing[0]![0] <= due) {
      matured = this.maturing.shift()![1];
    }
    if (matured !== undefined) {
      this.savedTarget = matured;
      this.write();
    }
    const next = this.maturing[0];
    if (next === undefined) return;
    this.maturingTimer = setTimeout(() => this.saveMatured(), next[0] - due);
    this.maturingTimer.unref();
  }

  private writeSoon(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.write();
    });
  }

  /**
   * Never moves the numbers on disk backwards (only a reset does): a process that lost the lock
   * while paused, or any other writer, cannot leave them behind what the venue has seen.
   */
  private write(): void {
    if (this.descriptor === undefined) return;
    try {
      const onDisk = this.lowering ? undefined : this.recorded(this.descriptor);
      const sender = Math.max(this.sender, onDisk?.[0] ?? 0);
      const target = Math.max(this.savedTarget, onDisk?.[1] ?? 0);
      const record = `${sender} ${target}`.padEnd(RECORD_BYTES - 1, ' ') + '\n';
      writeSync(this.descriptor, record, 0, 'utf8');
      this.lowering = false;
      this.writeFailure = undefined;
    } catch (error) {
      // Called from inside jspurefix's send path: never thrown there.
      this.writeFailure = messageOf(error);
    }
  }
}

// Reads the file store's latest record, failing closed on anything that exists but cannot be trusted.
import { isLivegateError, LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import type { BoundedFileReader } from './file-bounded-reader.js';
import { checkKillSwitchRecord } from './kill-switch-record-check.js';
import { parseRevisionFileName, type FileKillSwitchLayout } from './file-kill-switch-layout.js';

/*
 * Asynchronous and bounded on purpose: the engine reads on every poll of every scope and on every
 * file event, from its trading event loop, and a synchronous read makes a slow disk (or a FIFO
 * where state.json should be) a stalled engine: no ticks, no heartbeats, no kill-switch changes
 * applied. Every file goes through the BoundedFileReader (regular files only, size and time
 * limits). One code path for read(), update() and watch() keeps the fail-closed rules in one place.
 */

/** A record is a few hundred bytes: anything this large is not one, and is not read into memory. */
export const MAX_RECORD_BYTES = 1024 * 1024;

export function unreadableState(
  path: string,
  problem: string,
  cause?: unknown,
  timedOut = false,
): LivegateError {
  return new LivegateError(
    'ERR_STATE_UNREADABLE',
    `Kill-switch state ${path} is unreadable: ${problem}`,
    { cause, details: timedOut ? { path, problem, timedOut } : { path, problem } },
  );
}

/** The state may be fine and the disk only slow: nothing about the file itself is known. */
export function isReadTimeout(error: unknown): boolean {
  return isLivegateError(error) && error.details?.['timedOut'] === true;
}

type PendingRecord = Promise<KillSwitchRecord | undefined>;

/**
 * The latest record, or null when no state exists yet. Never guesses past an unreadable file.
 *
 * On a busy engine every wait for the thread pool costs up to one turn of its loop, so the reads
 * a change needs are started together: state.json, its directory, and the two revision files
 * after `seen` (the highest this instance has read) - a kill is revision seen + 1, linked before
 * state.json is replaced. A file read early is only used where the one-at-a-time walk would have
 * read it: each revision file is written once, and a record returned is one that was the latest
 * at some instant during the read. An early read that is not needed is dropped, errors included.
 */
export async function readLatestRecord(
  layout: FileKillSwitchLayout,
  files: BoundedFileReader,
  seen = 0,
): Promise<KillSwitchRecord | null> {
  const early = new Map<number, PendingRecord>();
  if (seen > 0) {
    for (const revision of [seen + 1, seen + 2]) {
      early.set(revision, readRevision(layout, files, revision));
    }
  }
  const [directory, state] = await Promise.allSettled([
    killSwitchDirectoryExists(layout, files),
    readRecordFile(files, layout.statePath, undefined),
  ]);
  if (directory.status === 'rejected') throw directory.reason;
  if (!directory.value) return null;
  if (state.status === 'rejected') throw state.reason;
  const fromState = state.value;
  if (fromState !== undefined) return rollForward(layout, files, fromState, early);
  // No state.json: either the first writer is between link and pointer, or it was lost.
  const highest = await highestRevision(layout, files);
  if (highest === undefined) return null;
  const fromRevision = await readRecordFile(files, layout.revisionPath(highest), highest);
  if (fromRevision === undefined) {
    throw unreadableState(layout.revisionPath(highest), 'listed but vanished while reading');
  }
  return rollForward(layout, files, fromRevision, early);
}

/** state.json is only a hint: a writer may have died after linking newer revisions. */
async function rollForward(
  layout: FileKillSwitchLayout,
  files: BoundedFileReader,
  record: KillSwitchRecord,
  early: Map<number, PendingRecord>,
): Promise<KillSwitchRecord> {
  let latest = record;
  for (;;) {
    const revision = latest.revision + 1;
    // The one after is started now as well, so each step waits once, not twice.
    if (!early.has(revision + 1))
      early.set(revision + 1, readRevision(layout, files, revision + 1));
    const next = await (early.get(revision) ?? readRevision(layout, files, revision));
    if (next === undefined) return latest;
    latest = next;
  }
}

function readRevision(
  layout: FileKillSwitchLayout,
  files: BoundedFileReader,
  revision: number,
): PendingRecord {
  const pending = readRecordFile(files, layout.revisionPath(revision), revision);
  // Read ahead, it may never be awaited: its error counts only where it is.
  pending.catch(() => undefined);
  return pending;
}

async function killSwitchDirectoryExists(
  layout: FileKillSwitchLayout,
  files: BoundedFileReader,
): Promise<boolean> {
  const stats = await files.stat(layout.killSwitchDirectory);
  if (stats === undefined) return false;
  if (stats.isDirectory()) return true;
  throw unreadableState(layout.killSwitchDirectory, 'exists but is not a directory');
}

/** Highest revision file name, or undefined when there are none (or no revisions directory). */
export async function highestRevision(
  layout: FileKillSwitchLayout,
  files: BoundedFileReader,
): Promise<number | undefined> {
  let highest: number | undefined;
  for (const name of await listRevisionNames(layout, files)) {
    const revision = parseRevisionFileName(name);
    if (revision !== undefined && (highest === undefined || revision > highest)) highest = revision;
  }
  return highest;
}

export async function listRevisionNames(
  layout: FileKillSwitchLayout,
  files: BoundedFileReader,
): Promise<string[]> {
  return (await files.readdir(layout.revisionsDirectory)) ?? [];
}

/**
 * One record file, validated; undefined only when it does not exist. When `expectedRevision` is
 * given, the content must agree with the file name (a mismatch means a misplaced or edited file).
 */
export async function readRecordFile(
  files: BoundedFileReader,
  path: string,
  expectedRevision: number | undefined,
): Promise<KillSwitchRecord | undefined> {
  const text = await files.readFile(path);
  return text === undefined ? undefined : parseRecord(path, text, expectedRevision);
}

function parseRecord(
  path: string,
  text: string,
  expectedRevision: number | undefined,
): KillSwitchRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const problem = `not valid JSON (${text.length} bytes; truncated or garbage)`;
    throw unreadableState(path, problem, error);
  }
  const parsed = checkKillSwitchRecord(json);
  if (!parsed.ok) {
    throw unreadableState(path, `not a kill-switch record: ${parsed.problems.join('; ')}`);
  }
  if (expectedRevision !== undefined && parsed.value.revision !== expectedRevision) {
    const problem = `holds revision ${parsed.value.revision} but its name says ${expectedRevision}`;
    throw unreadableState(path, problem);
  }
  return parsed.value;
}

// Reads the file store's latest record, failing closed on anything that exists but cannot be trusted.
import { isLivegateError, LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import type { BoundedFileReader } from './file-bounded-reader.js';
import { describeSchemaProblems, killSwitchRecordSchema } from './kill-switch-record-schema.js';
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

/** The latest record, or null when no state exists yet. Never guesses past an unreadable file. */
export async function readLatestRecord(
  layout: FileKillSwitchLayout,
  files: BoundedFileReader,
): Promise<KillSwitchRecord | null> {
  if (!(await killSwitchDirectoryExists(layout, files))) return null;
  const fromState = await readRecordFile(files, layout.statePath, undefined);
  if (fromState !== undefined) return rollForward(layout, files, fromState);
  // No state.json: either the first writer is between link and pointer, or it was lost.
  const highest = await highestRevision(layout, files);
  if (highest === undefined) return null;
  const fromRevision = await readRecordFile(files, layout.revisionPath(highest), highest);
  if (fromRevision === undefined) {
    throw unreadableState(layout.revisionPath(highest), 'listed but vanished while reading');
  }
  return rollForward(layout, files, fromRevision);
}

/** state.json is only a hint: a writer may have died after linking newer revisions. */
async function rollForward(
  layout: FileKillSwitchLayout,
  files: BoundedFileReader,
  record: KillSwitchRecord,
): Promise<KillSwitchRecord> {
  let latest = record;
  for (;;) {
    const revision = latest.revision + 1;
    const next = await readRecordFile(files, layout.revisionPath(revision), revision);
    if (next === undefined) return latest;
    latest = next;
  }
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
  const parsed = killSwitchRecordSchema.safeParse(json);
  if (!parsed.success) {
    throw unreadableState(
      path,
      `not a kill-switch record: ${describeSchemaProblems(parsed.error)}`,
      parsed.error,
    );
  }
  if (expectedRevision !== undefined && parsed.data.revision !== expectedRevision) {
    const problem = `holds revision ${parsed.data.revision} but its name says ${expectedRevision}`;
    throw unreadableState(path, problem);
  }
  return parsed.data;
}

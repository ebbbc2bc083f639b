// Reads the file store's latest record, failing closed on anything that exists but cannot be trusted.
import { readdir, readFile, stat } from 'node:fs/promises';
import { LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import { describeSchemaProblems, killSwitchRecordSchema } from './kill-switch-record-schema.js';
import { parseRevisionFileName, type FileKillSwitchLayout } from './file-kill-switch-layout.js';

/*
 * Asynchronous on purpose: the engine reads on every poll of every scope and on every file event,
 * from its trading event loop, and a synchronous read makes a slow disk a stalled engine (no ticks,
 * no heartbeats, no kill-switch changes applied). One code path for read(), update() and watch()
 * keeps the fail-closed rules in one place.
 */

export function unreadableState(path: string, problem: string, cause?: unknown): LivegateError {
  return new LivegateError(
    'ERR_STATE_UNREADABLE',
    `Kill-switch state ${path} is unreadable: ${problem}`,
    { cause, details: { path, problem } },
  );
}

export function errorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describeFsError(error: unknown): string {
  const code = errorCode(error);
  return code === undefined ? String(error) : `${code} (${(error as Error).message})`;
}

/** The latest record, or null when no state exists yet. Never guesses past an unreadable file. */
export async function readLatestRecord(
  layout: FileKillSwitchLayout,
): Promise<KillSwitchRecord | null> {
  if (!(await killSwitchDirectoryExists(layout))) return null;
  const fromState = await readRecordFile(layout.statePath, undefined);
  if (fromState !== undefined) return rollForward(layout, fromState);
  // No state.json: either the first writer is between link and pointer, or it was lost.
  const highest = await highestRevision(layout);
  if (highest === undefined) return null;
  const fromRevision = await readRecordFile(layout.revisionPath(highest), highest);
  if (fromRevision === undefined) {
    throw unreadableState(layout.revisionPath(highest), 'listed but vanished while reading');
  }
  return rollForward(layout, fromRevision);
}

/** state.json is only a hint: a writer may have died after linking newer revisions. */
async function rollForward(
  layout: FileKillSwitchLayout,
  record: KillSwitchRecord,
): Promise<KillSwitchRecord> {
  let latest = record;
  for (;;) {
    const revision = latest.revision + 1;
    const next = await readRecordFile(layout.revisionPath(revision), revision);
    if (next === undefined) return latest;
    latest = next;
  }
}

async function killSwitchDirectoryExists(layout: FileKillSwitchLayout): Promise<boolean> {
  try {
    if ((await stat(layout.killSwitchDirectory)).isDirectory()) return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw unreadableState(layout.killSwitchDirectory, describeFsError(error), error);
  }
  throw unreadableState(layout.killSwitchDirectory, 'exists but is not a directory');
}

/** Highest revision file name, or undefined when there are none (or no revisions directory). */
export async function highestRevision(layout: FileKillSwitchLayout): Promise<number | undefined> {
  let highest: number | undefined;
  for (const name of await listRevisionNames(layout)) {
    const revision = parseRevisionFileName(name);
    if (revision !== undefined && (highest === undefined || revision > highest)) highest = revision;
  }
  return highest;
}

export async function listRevisionNames(layout: FileKillSwitchLayout): Promise<string[]> {
  try {
    return await readdir(layout.revisionsDirectory);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw unreadableState(layout.revisionsDirectory, describeFsError(error), error);
  }
}

/**
 * One record file, validated; undefined only when it does not exist. When `expectedRevision` is
 * given, the content must agree with the file name (a mismatch means a misplaced or edited file).
 */
export async function readRecordFile(
  path: string,
  expectedRevision: number | undefined,
): Promise<KillSwitchRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw unreadableState(path, describeFsError(error), error);
  }
  return parseRecord(path, text, expectedRevision);
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

// Reads a journal directory back, oldest rotated file first, skipping what a crash or a bad edit left behind.

import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LivegateEvent } from '../../core/events.js';

/** The file being written; rotated files sit next to it (see `rotatedFileName`). */
export const JOURNAL_FILE_NAME = 'journal.jsonl';
/** `journal-20250102T030405.678Z-1234.jsonl`: rotation time (UTC, ms) and the last seq in the file. */
const ROTATED_FILE_PATTERN = /^journal-(\d{8}T\d{6}\.\d{3}Z)-(\d+)\.jsonl$/;

export type JournalEntry = LivegateEvent & { readonly id: string; readonly seq: number };

export interface JournalProblems {
  /** Last lines of a file cut short by a crash (no trailing newline, or unparsable); skipped. */
  tornLines: number;
  /** Unparsable lines in the middle of a file (1-based line numbers); skipped. */
  corruptLines: Array<{ file: string; line: number }>;
}

export interface JournalContents extends JournalProblems {
  events: JournalEntry[];
}

export async function readJournal(directory: string): Promise<JournalContents> {
  const problems: JournalProblems = { tornLines: 0, corruptLines: [] };
  const events: JournalEntry[] = [];
  for await (const entry of streamJournal(directory, problems)) events.push(entry);
  return { events, ...problems };
}

/**
 * The same entries one at a time, for journals too big to hold in memory. Skipped lines are
 * tallied in `problems` as the stream goes, so it is complete once the iteration ends.
 */
export async function* streamJournal(
  directory: string,
  problems: JournalProblems = { tornLines: 0, corruptLines: [] },
): AsyncGenerator<JournalEntry> {
  for (const name of await journalFiles(directory)) {
    yield* readFileEntries(join(directory, name), problems);
  }
}

export function rotatedFileName(time: Date, lastSeq: number): string {
  // Colons would need quoting in shells and are not allowed in Windows file names.
  return `journal-${time.toISOString().replace(/[-:]/g, '')}-${lastSeq}.jsonl`;
}

/** Rotated journal file names in `directory`, oldest first. */
export async function listRotatedFiles(directory: string): Promise<string[]> {
  const keyed: Array<{ name: string; time: string; seq: number }> = [];
  for (const name of await readdir(directory)) {
    const match = ROTATED_FILE_PATTERN.exec(name);
    if (match !== null) keyed.push({ name, time: match[1] as string, seq: Number(match[2]) });
  }
  // Time first (seq restarts with every run), then seq for rotations within one millisecond.
  keyed.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.seq - b.seq));
  return keyed.map((entry) => entry.name);
}

/** One file's entries, skipped lines tallied in `problems` (for readers that go file by file). */
export function streamJournalFile(
  file: string,
  problems: JournalProblems = { tornLines: 0, corruptLines: [] },
): AsyncGenerator<JournalEntry> {
  return readFileEntries(file, problems);
}

/** Rotated files oldest first, then the current file; none when nothing was ever written. */
export async function journalFiles(directory: string): Promise<string[]> {
  try {
    return [...(await listRotatedFiles(directory)), JOURNAL_FILE_NAME];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function* readFileEntries(
  file: string,
  problems: JournalProblems,
): AsyncGenerator<JournalEntry> {
  // A bad line is only known to be corrupt (not torn) once another line follows it.
  let suspect: number | undefined;
  for await (const { text, line, terminated } of readLines(file)) {
    if (suspect !== undefined) {
      problems.corruptLines.push({ file, line: suspect });
      suspect = undefined;
    }
    if (!terminated) {
      // Written without its newline: the process died mid-write, even if the JSON happens to parse.
      problems.tornLines++;
      return;
    }
    if (text === '') continue;
    const entry = parseEntry(text);
    if (entry === undefined) suspect = line;
    else yield entry;
  }
  if (suspect !== undefined) problems.tornLines++;
}

interface Line {
  readonly text: string;
  readonly line: number;
  /** False only for a last line with no newline after it. */
  readonly terminated: boolean;
}

/** Splits on bytes, not decoded text, so a multi-byte character across two chunks stays whole. */
async function* readLines(file: string): AsyncGenerator<Line> {
  let carry: Buffer = Buffer.alloc(0);
  let line = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      const data = carry.length === 0 ? (chunk as Buffer) : Buffer.concat([carry, chunk as Buffer]);
      let start = 0;
      for (let end = data.indexOf(0x0a); end !== -1; end = data.indexOf(0x0a, start)) {
        yield { text: data.toString('utf8', start, end), line: ++line, terminated: true };
        start = end + 1;
      }
      carry = data.subarray(start);
    }
  } catch (error) {
    // The current file is briefly absent while a rotation swaps it; nothing to read then.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (carry.length > 0) yield { text: carry.toString('utf8'), line: line + 1, terminated: false };
}

function parseEntry(text: string): JournalEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const entry = value as Record<string, unknown>;
  const wellFormed =
    typeof entry.id === 'string' &&
    typeof entry.seq === 'number' &&
    typeof entry.type === 'string' &&
    typeof entry.time === 'number';
  return wellFormed ? (value as JournalEntry) : undefined;
}

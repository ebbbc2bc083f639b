// Reading a journal back: file order, torn last lines, corrupt middle lines, and the streaming variant.

import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  readJournal,
  streamJournal,
  type JournalEntry,
  type JournalProblems,
} from '../../src/adapters/sinks/journal-reader.js';
import {
  JOURNAL_FILE_NAME,
  JsonlJournalSink,
} from '../../src/adapters/sinks/jsonl-journal-sink.js';
import { sampleEvent, scratchDirectories } from './journal-fixtures.js';

const scratch = scratchDirectories();
afterEach(() => scratch.removeAll());

async function journalOf(count: number): Promise<string> {
  const directory = await scratch.create();
  const sink = new JsonlJournalSink({ directory, runId: 'run-1' });
  for (let index = 0; index < count; index++) sink.write(sampleEvent(index));
  await sink.close();
  return directory;
}

function line(seq: number): string {
  return `${JSON.stringify({ id: `old:${seq}`, seq, ...sampleEvent(seq) })}\n`;
}

describe('readJournal', () => {
  it('skips a torn last line with no newline and counts it', async () => {
    const directory = await journalOf(10);
    appendFileSync(join(directory, JOURNAL_FILE_NAME), '{"id":"run-1:11","seq":11,"type":"Ti');

    const { events, tornLines, corruptLines } = await readJournal(directory);
    expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(tornLines).toBe(1);
    expect(corruptLines).toEqual([]);
  });

  it('treats a complete-looking last line without its newline as torn', async () => {
    const directory = await journalOf(2);
    appendFileSync(join(directory, JOURNAL_FILE_NAME), line(3).trimEnd());
    const { events, tornLines } = await readJournal(directory);
    expect(events).toHaveLength(2);
    expect(tornLines).toBe(1);
  });

  it('treats an unparsable last line as torn even when it ends with a newline', async () => {
    const directory = await journalOf(3);
    appendFileSync(join(directory, JOURNAL_FILE_NAME), '{"id":"run-1:4","se\n');
    const { events, tornLines, corruptLines } = await readJournal(directory);
    expect(events).toHaveLength(3);
    expect(tornLines).toBe(1);
    expect(corruptLines).toEqual([]);
  });

  it('reports unparsable or malformed lines in the middle with file and line, and keeps going', async () => {
    const directory = await scratch.create();
    const file = join(directory, JOURNAL_FILE_NAME);
    writeFileSync(file, [line(1), 'not json\n', line(2), '{"no":"id"}\n', line(3)].join(''));

    const { events, tornLines, corruptLines } = await readJournal(directory);
    expect(events.map((event) => event.seq)).toEqual([1, 2, 3]);
    expect(tornLines).toBe(0);
    expect(corruptLines).toEqual([
      { file, line: 2 },
      { file, line: 4 },
    ]);
  });

  it('reads rotated files oldest first, then the current file', async () => {
    const directory = await scratch.create();
    // Same millisecond twice: the seq in the name breaks the tie numerically (9 before 10).
    writeFileSync(join(directory, 'journal-20250101T000000.000Z-10.jsonl'), line(10));
    writeFileSync(join(directory, 'journal-20250101T000000.000Z-9.jsonl'), line(9));
    writeFileSync(join(directory, 'journal-20241231T235959.999Z-5.jsonl'), line(5));
    writeFileSync(join(directory, JOURNAL_FILE_NAME), line(11));
    writeFileSync(join(directory, 'unrelated.jsonl'), line(99));

    const { events } = await readJournal(directory);
    expect(events.map((event) => event.seq)).toEqual([5, 9, 10, 11]);
  });

  it('counts a torn line in each file separately', async () => {
    const directory = await scratch.create();
    writeFileSync(join(directory, 'journal-20250101T000000.000Z-1.jsonl'), `${line(1)}{"id`);
    writeFileSync(join(directory, JOURNAL_FILE_NAME), `${line(2)}{"id":"x`);
    const { events, tornLines } = await readJournal(directory);
    expect(events.map((event) => event.seq)).toEqual([1, 2]);
    expect(tornLines).toBe(2);
  });

  it('splits lines correctly when multi-byte characters straddle read chunks', async () => {
    const directory = await scratch.create();
    const tag = 'é'.repeat(700_000);
    const entry = { id: 'run:1', seq: 1, ...sampleEvent(0), tag };
    writeFileSync(join(directory, JOURNAL_FILE_NAME), `${JSON.stringify(entry)}\n${line(2)}`);
    const { events } = await readJournal(directory);
    expect((events[0] as JournalEntry & { tag: string }).tag).toBe(tag);
    expect(events).toHaveLength(2);
  });

  it('returns nothing for a directory that does not exist yet', async () => {
    const directory = join(await scratch.create(), 'missing');
    expect(await readJournal(directory)).toEqual({ events: [], tornLines: 0, corruptLines: [] });
  });

  it('streams the same entries and tallies the same problems', async () => {
    const directory = await journalOf(25);
    appendFileSync(join(directory, JOURNAL_FILE_NAME), 'half a li');
    const problems: JournalProblems = { tornLines: 0, corruptLines: [] };
    const streamed: JournalEntry[] = [];
    for await (const entry of streamJournal(directory, problems)) streamed.push(entry);

    const read = await readJournal(directory);
    expect(streamed).toEqual(read.events);
    expect(problems).toEqual({ tornLines: 1, corruptLines: [] });
  });
});

// The JSONL journal: round trip, ordering, rotation bounds, and failures that must never reach the engine.

import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LivegateError } from '../../src/core/errors.js';
import type { LivegateEvent } from '../../src/core/events.js';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import {
  JOURNAL_FILE_NAME,
  JsonlJournalSink,
  type JsonlJournalSinkOptions,
} from '../../src/adapters/sinks/jsonl-journal-sink.js';
import { nextTurn, range, sampleEvent, scratchDirectories } from './journal-fixtures.js';

const scratch = scratchDirectories();
afterEach(() => scratch.removeAll());

function openSink(options: Partial<JsonlJournalSinkOptions> & { directory: string }) {
  const errors: LivegateError[] = [];
  const sink = new JsonlJournalSink({
    runId: 'run-1',
    onError: (error) => errors.push(error),
    ...options,
  });
  return { sink, errors };
}

async function writeEvents(
  sink: JsonlJournalSink,
  count: number,
  options: { burst?: number; from?: number } = {},
): Promise<void> {
  const burst = options.burst ?? count;
  const from = options.from ?? 0;
  for (let index = 0; index < count; index++) {
    sink.write(sampleEvent(from + index));
    if ((index + 1) % burst === 0) await nextTurn();
  }
}

function seqs(events: ReadonlyArray<{ seq: number }>): number[] {
  return events.map((event) => event.seq);
}

describe('JsonlJournalSink', () => {
  it('reads back every event exactly as written, with its id and seq', async () => {
    const directory = await scratch.create();
    const { sink, errors } = openSink({ directory });
    const written = Array.from({ length: 30 }, (_, index) => sampleEvent(index));
    for (const event of written) sink.write(event);
    await sink.close();

    const { events, tornLines, corruptLines } = await readJournal(directory);
    expect(errors).toEqual([]);
    expect(tornLines).toBe(0);
    expect(corruptLines).toEqual([]);
    // JSON drops undefined fields (an order's missing price); compare what JSON keeps.
    const expected: unknown[] = written.map((event, index) => ({
      id: `run-1:${index + 1}`,
      seq: index + 1,
      ...(JSON.parse(JSON.stringify(event)) as LivegateEvent),
    }));
    expect(events).toEqual(expected);
  });

  it('puts id and seq first on each line so a journal is easy to grep', async () => {
    const directory = await scratch.create();
    const { sink } = openSink({ directory, runId: 'a"b' });
    sink.write(sampleEvent(1));
    await sink.close();
    const line = readFileSync(join(directory, JOURNAL_FILE_NAME), 'utf8');
    expect(line).toMatch(/^\{"id":"a\\"b:1","seq":1,"type":"TickBlocked","time":/);
    expect(line.endsWith('}\n')).toBe(true);
  });

  it('keeps ids unique and seq increasing when a second run appends to the same journal', async () => {
    const directory = await scratch.create();
    const first = openSink({ directory, runId: 'run-1' });
    await writeEvents(first.sink, 50);
    await first.sink.close();
    const second = openSink({ directory, runId: 'run-2' });
    await writeEvents(second.sink, 50);
    await second.sink.close();

    const { events } = await readJournal(directory);
    expect(events).toHaveLength(100);
    expect(new Set(events.map((event) => event.id)).size).toBe(100);
    for (const run of ['run-1', 'run-2']) {
      const ofRun = events.filter((event) => event.id.startsWith(`${run}:`));
      expect(seqs(ofRun)).toEqual(range(1, 50));
    }
  });

  it('hands everything written so far to the OS when flush() resolves, before close', async () => {
    const directory = await scratch.create();
    const { sink } = openSink({ directory });
    sink.write(sampleEvent(0));
    sink.write(sampleEvent(1));
    await sink.flush();
    const lines = readFileSync(join(directory, JOURNAL_FILE_NAME), 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    await sink.close();
  });

  it('has pruned to maxFiles when close() resolves, even when rotations chain back to back', async () => {
    // One burst: every rotation after the first replays held lines and starts the next at once,
    // so a newer prune is queued while close() waits for an older one.
    const directory = await scratch.create();
    const { sink, errors } = openSink({ directory, maxFileBytes: 2048, maxFiles: 2 });
    await writeEvents(sink, 2000);
    await sink.close();

    expect(errors).toEqual([]);
    const rotated = readdirSync(directory).filter((name) => name !== JOURNAL_FILE_NAME);
    expect(rotated).toHaveLength(2);
    const { events } = await readJournal(directory);
    const first = events[0]?.seq ?? 0;
    expect(seqs(events)).toEqual(range(first, 2000));
  });

  it('rotates so that at most maxFiles rotated files remain and the total size stays bounded', async () => {
    const directory = await scratch.create();
    const maxFileBytes = 4096;
    const { sink, errors } = openSink({ directory, maxFileBytes, maxFiles: 3 });
    await writeEvents(sink, 3000, { burst: 40 });
    await sink.close();

    const files = readdirSync(directory);
    const sizes = files.map((name) => statSync(join(directory, name)).size);
    expect(errors).toEqual([]);
    expect(files).toContain(JOURNAL_FILE_NAME);
    expect(files.filter((name) => name !== JOURNAL_FILE_NAME)).toHaveLength(3);
    for (const name of files) expect(name).toMatch(/^journal(-\d{8}T\d{6}\.\d{3}Z-\d+)?\.jsonl$/);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(maxFileBytes);
    expect(sizes.reduce((total, size) => total + size, 0)).toBeLessThanOrEqual(4 * maxFileBytes);

    // What remains is the newest events, with no hole where files were swapped.
    const { events, tornLines, corruptLines } = await readJournal(directory);
    expect(tornLines + corruptLines.length).toBe(0);
    const first = events[0]?.seq ?? 0;
    expect(seqs(events)).toEqual(range(first, 3000));
  });

  it('loses no event across rotations, whether writes come in bursts or all at once', async () => {
    for (const burst of [25, 5000]) {
      const directory = await scratch.create();
      const { sink, errors } = openSink({ directory, maxFileBytes: 8192, maxFiles: 10_000 });
      await writeEvents(sink, 5000, { burst });
      await sink.close();

      const { events } = await readJournal(directory);
      expect(errors).toEqual([]);
      expect(seqs(events)).toEqual(range(1, 5000));
      const rotated = readdirSync(directory).filter((name) => name !== JOURNAL_FILE_NAME);
      expect(rotated.length).toBeGreaterThan(100);
    }
  });

  it('names each rotated file after the last seq it contains', async () => {
    const directory = await scratch.create();
    const { sink } = openSink({ directory, maxFileBytes: 2048, maxFiles: 100 });
    await writeEvents(sink, 200, { burst: 10 });
    await sink.close();
    for (const name of readdirSync(directory).filter((file) => file !== JOURNAL_FILE_NAME)) {
      const lines = readFileSync(join(directory, name), 'utf8').trimEnd().split('\n');
      const last = JSON.parse(lines.at(-1) ?? '') as { seq: number };
      expect(name.endsWith(`-${last.seq}.jsonl`)).toBe(true);
    }
  });

  it('starts on a fresh line after a torn line left by a crash, so the new events stay readable', async () => {
    const directory = await scratch.create();
    const first = openSink({ directory, runId: 'run-1' });
    await writeEvents(first.sink, 5);
    await first.sink.close();
    appendFileSync(join(directory, JOURNAL_FILE_NAME), '{"id":"run-1:6","seq":6,"ty');

    const second = openSink({ directory, runId: 'run-2' });
    await writeEvents(second.sink, 3);
    await second.sink.close();

    const { events, tornLines, corruptLines } = await readJournal(directory);
    expect(events.map((event) => event.id)).toEqual([
      'run-1:1',
      'run-1:2',
      'run-1:3',
      'run-1:4',
      'run-1:5',
      'run-2:1',
      'run-2:2',
      'run-2:3',
    ]);
    expect(tornLines).toBe(0);
    expect(corruptLines).toEqual([{ file: join(directory, JOURNAL_FILE_NAME), line: 6 }]);
  });

  it('reports an event that cannot be serialised to onError instead of throwing', async () => {
    const directory = await scratch.create();
    const { sink, errors } = openSink({ directory });
    sink.write(sampleEvent(0));
    const poisoned = { ...sampleEvent(1), revision: 10n } as unknown as LivegateEvent;
    expect(() => sink.write(poisoned)).not.toThrow();
    sink.write(sampleEvent(2));
    await sink.close();

    expect(errors.map((error) => error.code)).toEqual(['ERR_JOURNAL_FAILED']);
    const { events } = await readJournal(directory);
    // The lost event leaves a visible gap in seq.
    expect(seqs(events)).toEqual([1, 3]);
  });

  it.runIf(existsSync('/dev/full'))(
    'reports a failing disk once through onError, rejects flush() and close(), never throws from write()',
    async () => {
      const directory = await scratch.create();
      symlinkSync('/dev/full', join(directory, JOURNAL_FILE_NAME));
      const { sink, errors } = openSink({ directory });
      expect(() => {
        for (let index = 0; index < 2000; index++) sink.write(sampleEvent(index));
      }).not.toThrow();
      await expect(sink.flush()).rejects.toMatchObject({ code: 'ERR_JOURNAL_FAILED' });
      await nextTurn();
      expect(errors.length).toBe(1);
      expect(errors[0]).toBeInstanceOf(LivegateError);
      expect(errors[0]?.code).toBe('ERR_JOURNAL_FAILED');
      expect(errors[0]?.message).toContain('ENOSPC');
      await expect(sink.close()).rejects.toMatchObject({ code: 'ERR_JOURNAL_FAILED' });
      expect(errors.length).toBe(1);
    },
  );

  it('stops at maxBufferedBytes and says so once, keeping what it held, instead of growing without bound', async () => {
    const directory = await scratch.create();
    const { sink, errors } = openSink({ directory, maxBufferedBytes: 16 * 1024 });
    // One synchronous burst: nothing reaches the disk until the event loop turns.
    for (let index = 0; index < 1000; index++) sink.write(sampleEvent(index));
    await expect(sink.close()).rejects.toMatchObject({ code: 'ERR_JOURNAL_FAILED' });

    expect(errors.map((error) => error.code)).toEqual(['ERR_JOURNAL_FAILED']);
    expect(errors[0]?.message).toContain('buffer full');
    const { events } = await readJournal(directory);
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(1000);
    expect(seqs(events)).toEqual(range(1, events.length));
    expect(sink.droppedEvents).toBe(1000 - events.length);
  });

  it('reports, once, events written after close()', async () => {
    const directory = await scratch.create();
    const { sink, errors } = openSink({ directory });
    await sink.close();
    sink.write(sampleEvent(0));
    sink.write(sampleEvent(1));
    expect(errors.map((error) => error.code)).toEqual(['ERR_JOURNAL_FAILED']);
    expect((await readJournal(directory)).events).toEqual([]);
  });

  it('lets close() be called twice', async () => {
    const directory = await scratch.create();
    const { sink } = openSink({ directory });
    sink.write(sampleEvent(0));
    await Promise.all([sink.close(), sink.close()]);
    expect((await readJournal(directory)).events).toHaveLength(1);
  });

  it('creates a missing directory', async () => {
    const directory = join(await scratch.create(), 'nested', 'journal');
    const { sink } = openSink({ directory });
    sink.write(sampleEvent(0));
    await sink.close();
    expect((await readJournal(directory)).events).toHaveLength(1);
  });

  it('fails at construction, not on the first event, when the journal cannot be opened', async () => {
    const directory = await scratch.create();
    // A directory where the file should be: open() fails even for root.
    mkdirSync(join(directory, JOURNAL_FILE_NAME));
    expect(() => openSink({ directory })).toThrow(
      expect.objectContaining({ code: 'ERR_JOURNAL_FAILED' }) as Error,
    );
  });

  it('rejects invalid options, listing every problem at once', () => {
    const attempt = () =>
      new JsonlJournalSink({ directory: '', runId: '', maxFileBytes: 0, maxFiles: -1 });
    expect(attempt).toThrow(LivegateError);
    try {
      attempt();
    } catch (error) {
      const { code, message } = error as LivegateError;
      expect(code).toBe('ERR_CONFIG_INVALID');
      for (const key of ['directory', 'runId', 'maxFileBytes', 'maxFiles']) {
        expect(message).toContain(`${key}:`);
      }
    }
  });
});

// The journal on a real, small, full disk (a tmpfs of its own): it stops, says so once, and leaves
// the space the kill-switch state needs.

import { statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import {
  JOURNAL_FILE_NAME,
  JsonlJournalSink,
  type JsonlJournalSinkOptions,
} from '../../src/adapters/sinks/jsonl-journal-sink.js';
import type { LivegateError } from '../../src/core/errors.js';
import { engageDecision } from '../../src/killswitch/transitions.js';
import { CANNOT_MOUNT, mountSmallDisk, type SmallDisk } from '../support/small-disk.js';
import { nextTurn, sampleEvent } from './journal-fixtures.js';

const MEBIBYTE = 1024 * 1024;

let disk: SmallDisk | undefined;
afterEach(async () => {
  await disk?.unmount();
  disk = undefined;
});

function openSink(options: Partial<JsonlJournalSinkOptions> & { directory: string }) {
  const failures: LivegateError[] = [];
  const errors: LivegateError[] = [];
  const sink = new JsonlJournalSink({
    runId: 'run-1',
    onError: (error) => errors.push(error),
    onFailure: (error) => failures.push(error),
    ...options,
  });
  return { sink, failures, errors };
}

/** Writes bursts of events, letting the disk writes run in between, until `done()` or the deadline. */
async function writeUntil(sink: JsonlJournalSink, done: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let index = 0;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out writing events');
    for (let burst = 0; burst < 50; burst++) sink.write(sampleEvent(index++));
    await nextTurn();
  }
}

/** Keeps writing for `milliseconds`, as an engine would after its journal failed. */
async function keepWriting(sink: JsonlJournalSink, milliseconds: number) {
  const until = Date.now() + milliseconds;
  await writeUntil(sink, () => Date.now() >= until);
}

describe.skipIf(CANNOT_MOUNT !== '')(`JsonlJournalSink on a full disk ${CANNOT_MOUNT}`, () => {
  it('stops at reserveBytes, reports once, and leaves the kill-switch state room to be written', async () => {
    disk = await mountSmallDisk(4 * MEBIBYTE);
    const stateDirectory = disk.directory;
    const journalDirectory = join(stateDirectory, 'journal', 'engine-1');
    // Small files so the check at each rotation is exercised as well as the byte count.
    const { sink, failures, errors } = openSink({
      directory: journalDirectory,
      reserveBytes: MEBIBYTE,
      maxFileBytes: 256 * 1024,
      maxFiles: 100,
    });
    await writeUntil(sink, () => failures.length > 0);
    await keepWriting(sink, 200);
    await expect(sink.close()).rejects.toMatchObject({ code: 'ERR_JOURNAL_FAILED' });

    expect(failures).toHaveLength(1);
    expect(failures[0]?.code).toBe('ERR_JOURNAL_FAILED');
    expect(failures[0]?.message).toContain('reserveBytes');
    expect(errors).toEqual([]);
    expect(sink.droppedEvents).toBeGreaterThan(0);
    const free = disk.freeBytes();
    expect(free).toBeGreaterThanOrEqual(MEBIBYTE);
    // ...and it used the space above the reserve rather than stopping early.
    expect(free).toBeLessThan(MEBIBYTE + 512 * 1024);

    const store = new FileKillSwitchStore({ stateDirectory });
    try {
      const engaged = await store.update(
        engageDecision('journal stopped', 'test', 'journal-failed'),
      );
      expect(engaged.record).toMatchObject({ state: 'ENGAGED', trigger: 'journal-failed' });
    } finally {
      await store.close();
    }
  });

  it('on ENOSPC reports once, stops writing, and does not eat space freed afterwards', async () => {
    disk = await mountSmallDisk(2 * MEBIBYTE);
    const directory = join(disk.directory, 'journal');
    const { sink, failures } = openSink({ directory, reserveBytes: 0 });
    // Another process fills the disk under a journal that is writing.
    let freed: string | undefined;
    await writeUntil(sink, () => {
      if (freed === undefined && disk!.freeBytes() < MEBIBYTE) freed = disk!.fill();
      return failures.length > 0;
    });
    expect(failures[0]?.message).toContain('ENOSPC');

    unlinkSync(freed!);
    const freeAfterFreeing = disk.freeBytes();
    const journalSize = statSync(join(directory, JOURNAL_FILE_NAME)).size;
    expect(freeAfterFreeing).toBeGreaterThan(MEBIBYTE / 2);
    await keepWriting(sink, 200);
    // Give any buffered write a chance to land before looking.
    await new Promise((resolve) => setTimeout(resolve, 150));

    expect(disk.freeBytes()).toBe(freeAfterFreeing);
    expect(statSync(join(directory, JOURNAL_FILE_NAME)).size).toBe(journalSize);
    await expect(sink.flush()).rejects.toMatchObject({ code: 'ERR_JOURNAL_FAILED' });
    await expect(sink.close()).rejects.toMatchObject({ code: 'ERR_JOURNAL_FAILED' });
    expect(failures).toHaveLength(1);
    expect(sink.droppedEvents).toBeGreaterThan(0);
  });

  it('refuses to open, before any trading, on a disk already below reserveBytes', async () => {
    disk = await mountSmallDisk(2 * MEBIBYTE);
    disk.fillUntilFree(MEBIBYTE / 2);
    expect(() =>
      openSink({ directory: join(disk!.directory, 'journal'), reserveBytes: MEBIBYTE }),
    ).toThrow(expect.objectContaining({ code: 'ERR_JOURNAL_FAILED' }) as Error);
  });
});

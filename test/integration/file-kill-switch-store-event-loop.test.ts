// The file store reads off the event loop: the engine keeps turning while a read waits for the disk.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, writeFileSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import type { KillSwitchRecord } from '../../src/core/kill-switch-record.js';
import {
  assertCompiledStoreIsFresh,
  change,
  makeStateDirectory,
  recordingWatcher,
  waitFor,
  type TemporaryStateDirectory,
} from './file-kill-switch-store-harness.js';

/**
 * Blocks every thread of libuv's pool in a real syscall (open() of a FIFO with no writer), which is
 * what a stalled disk does to them; fs calls made afterwards queue behind. Vitest runs each file in
 * its own process, so only this file's pool is held. Assumes the pool size Node uses
 * (UV_THREADPOOL_SIZE, default 4).
 */
function blockThreadPool(fifo: string): { release(): Promise<void> } {
  execFileSync('mkfifo', [fifo]);
  const size = Number(process.env['UV_THREADPOOL_SIZE'] ?? 4);
  const blocked = Array.from({ length: size }, () => openFile(fifo, 'r'));
  return {
    async release() {
      // Blocked readers count as readers, so a non-blocking writer can open; it stays open until
      // every reader is through, so none goes back to waiting.
      const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      try {
        for (const handle of await Promise.all(blocked)) await handle.close();
      } finally {
        closeSync(writer);
      }
    },
  };
}

/** Counts event-loop turns (a 1 ms interval) while `work` runs, and the longest gap between them. */
async function loopTurnsDuring<T>(
  work: () => Promise<T>,
): Promise<{ value: T; turns: number; longestGapMs: number }> {
  let turns = 0;
  let last = performance.now();
  let longestGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
    turns += 1;
  }, 1);
  try {
    last = performance.now();
    const value = await work();
    longestGapMs = Math.max(longestGapMs, performance.now() - last);
    return { value, turns, longestGapMs };
  } finally {
    clearInterval(timer);
  }
}

describe('FileKillSwitchStore reads off the event loop', () => {
  let directory: TemporaryStateDirectory;
  const stores: FileKillSwitchStore[] = [];
  const open = () => {
    const store = new FileKillSwitchStore({ stateDirectory: directory.path, pollIntervalMs: 20 });
    stores.push(store);
    return store;
  };

  beforeAll(() => assertCompiledStoreIsFresh());

  beforeEach(async () => {
    directory = await makeStateDirectory();
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await directory.remove();
  });

  it('keeps the event loop turning while it rolls forward over 1500 revision files', async () => {
    // Nothing here can stall a disk on demand, so the wait is made long by volume instead: a
    // state.json left 1499 revisions behind. A synchronous read does all 1500 files in one turn.
    await open().update(() => change());
    const killswitch = join(directory.path, 'killswitch');
    const first = JSON.parse(
      readFileSync(join(killswitch, 'state.json'), 'utf8'),
    ) as KillSwitchRecord;
    for (let revision = 2; revision <= 1500; revision += 1) {
      const name = `${String(revision).padStart(12, '0')}.json`;
      writeFileSync(join(killswitch, 'revisions', name), JSON.stringify({ ...first, revision }));
    }
    const { value, turns, longestGapMs } = await loopTurnsDuring(() => open().read());
    console.info(
      `file store roll-forward over 1500 revisions: ${turns} loop turns, longest gap ${longestGapMs.toFixed(1)} ms`,
    );
    expect(value?.revision).toBe(1500);
    expect(turns).toBeGreaterThan(10);
  });

  it('fails closed when a read waits longer than readTimeoutMs, and the loop turns meanwhile', async () => {
    // No disk here can be stalled on demand, so the store's read is held where a stalled disk
    // holds it: queued behind pool threads that are really blocked in a syscall.
    await open().update(() => change());
    const options = { stateDirectory: directory.path, pollIntervalMs: 20, readTimeoutMs: 300 };
    const reader = new FileKillSwitchStore(options);
    const watched = new FileKillSwitchStore(options);
    stores.push(reader, watched);
    const watcher = recordingWatcher();
    watched.watch(watcher);
    await waitFor(() => watcher.records.length === 1, 'revision 1 before the stall');

    const pool = blockThreadPool(join(directory.path, 'stall.fifo'));
    let stillWaiting: unknown;
    try {
      const started = performance.now();
      const { value: error, turns } = await loopTurnsDuring(() =>
        reader.read().then(
          () => undefined,
          (thrown: unknown) => thrown,
        ),
      );
      const elapsedMs = performance.now() - started;
      expect(error).toMatchObject({
        code: 'ERR_STATE_UNREADABLE',
        message: expect.stringMatching(
          /killswitch is unreadable: read did not finish within 300 ms/,
        ) as unknown,
      });
      // Node's timers count whole milliseconds from their own clock: a 300 ms timeout measured
      // with performance.now() has been seen to fire at 298.9 ms (CI, Node 24).
      expect(elapsedMs).toBeGreaterThanOrEqual(295);
      expect(elapsedMs).toBeLessThan(1_300);
      expect(turns).toBeGreaterThan(30);
      // The abandoned call still holds a place in the pool: the next read is refused at once.
      const again = performance.now();
      stillWaiting = await reader.read().catch((thrown: unknown) => thrown);
      expect(performance.now() - again).toBeLessThan(100);
      await waitFor(() => watcher.errors.length === 1, 'onError from the watcher');
      expect(watcher.errors[0]?.message).toMatch(/did not finish within 300 ms/);
    } finally {
      await pool.release();
    }
    expect(stillWaiting).toMatchObject({
      code: 'ERR_STATE_UNREADABLE',
      message: expect.stringMatching(
        /an earlier read of .*killswitch.* did not finish within 300 ms and is still waiting/,
      ) as unknown,
    });
    // Once the pool answers, the same store reads again (polled: the abandoned call returns first).
    let recovered: KillSwitchRecord | null | undefined;
    for (const deadline = performance.now() + 2_000; performance.now() < deadline;) {
      recovered = await reader.read().catch(() => undefined);
      if (recovered !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(recovered?.revision).toBe(1);
  });
});

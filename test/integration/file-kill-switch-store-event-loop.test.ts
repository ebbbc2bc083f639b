// The file store reads off the event loop: the engine keeps turning while a read waits for the disk.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import type { KillSwitchRecord } from '../../src/core/kill-switch-record.js';
import {
  assertCompiledStoreIsFresh,
  change,
  makeStateDirectory,
  type TemporaryStateDirectory,
} from './file-kill-switch-store-harness.js';

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
});

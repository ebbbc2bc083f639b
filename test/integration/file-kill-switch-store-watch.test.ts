// A change written by another process reaches watch(), by fs.watch and by polling alone.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import {
  assertCompiledStoreIsFresh,
  makeStateDirectory,
  recordingWatcher,
  startFixture,
  waitFor,
  type TemporaryStateDirectory,
} from './file-kill-switch-store-harness.js';

describe('FileKillSwitchStore.watch with a writer in another process', () => {
  let directory: TemporaryStateDirectory;
  let store: FileKillSwitchStore | undefined;

  beforeAll(() => assertCompiledStoreIsFresh());

  afterEach(async () => {
    await store?.close();
    await directory.remove();
  });

  async function deliveredFromAnotherProcess(options: {
    useFsWatch: boolean;
    pollIntervalMs: number;
  }) {
    directory = await makeStateDirectory();
    store = new FileKillSwitchStore({ stateDirectory: directory.path, ...options });
    const watcher = recordingWatcher();
    const deliveredAt: number[] = [];
    store.watch({
      onRecord: (record) => {
        deliveredAt.push(Date.now());
        watcher.onRecord(record);
      },
      onError: (error) => watcher.onError(error),
    });
    const writer = startFixture('kill-switch-writer.mjs', {
      stateDirectory: directory.path,
      workerId: 1,
      count: 3,
    });
    expect((await writer.exited).code, writer.stderr()).toBe(0);
    await waitFor(() => watcher.records.at(-1)?.revision === 3, 'revision 3 at the watcher', 2_000);
    expect(watcher.errors).toEqual([]);
    expect(watcher.records.at(-1)).toMatchObject({
      reason: 'worker 1 seq 2',
      pid: writer.child.pid,
    });
    return { watcher, deliveredAt };
  }

  it('delivers it through fs.watch, long before the next poll would', async () => {
    // A one-minute poll interval: only a push can meet the two-second deadline.
    const { watcher, deliveredAt } = await deliveredFromAnotherProcess({
      useFsWatch: true,
      pollIntervalMs: 60_000,
    });
    const lags = watcher.records.map(
      (record, index) => (deliveredAt[index] ?? 0) - Date.parse(record.at),
    );
    console.info(`file store fs.watch propagation: ${lags.map((lag) => `${lag} ms`).join(', ')}`);
  });

  it('delivers it by polling alone when fs.watch is off', async () => {
    await deliveredFromAnotherProcess({ useFsWatch: false, pollIntervalMs: 50 });
  });

  it('picks up state created after watch started, re-arming fs.watch on the new directories', async () => {
    directory = await makeStateDirectory();
    store = new FileKillSwitchStore({ stateDirectory: directory.path, pollIntervalMs: 60_000 });
    const watcher = recordingWatcher();
    store.watch(watcher);
    for (let round = 1; round <= 2; round += 1) {
      const writer = startFixture('kill-switch-writer.mjs', {
        stateDirectory: directory.path,
        workerId: round,
        count: 1,
      });
      expect((await writer.exited).code, writer.stderr()).toBe(0);
      await waitFor(() => watcher.records.at(-1)?.revision === round, `revision ${round}`, 2_000);
    }
  });
});

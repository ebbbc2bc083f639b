// The memory store passes the shared contract, and its fault injection behaves like unreadable state.
import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { isLivegateError, type LivegateError } from '../../src/core/errors.js';
import {
  change,
  recordingWatcher,
  runKillSwitchStoreContract,
  waitFor,
} from './kill-switch-store.contract.js';

runKillSwitchStoreContract('MemoryKillSwitchStore', () => {
  const store = new MemoryKillSwitchStore();
  return Promise.resolve({ store, cleanup: () => store.close() });
});

describe('MemoryKillSwitchStore', () => {
  it('tells watchers about a change before update() resolves', async () => {
    const store = new MemoryKillSwitchStore();
    const watcher = recordingWatcher();
    store.watch(watcher);
    const pending = store.update(() => change());
    // Synchronous delivery: the watcher already has it, with no await in between.
    expect(watcher.records.map((record) => record.revision)).toEqual([1]);
    await pending;
  });

  it('stamps the injected clock, host and pid', async () => {
    const store = new MemoryKillSwitchStore({
      clock: new ManualClock(86_400_000),
      host: 'h1',
      pid: 7,
    });
    const { record } = await store.update(() => change());
    expect(record).toMatchObject({ at: '1970-01-02T00:00:00.000Z', host: 'h1', pid: 7 });
  });

  it('rejects unknown or ill-typed options with ERR_CONFIG_INVALID', () => {
    const bad = [{ host: '' }, { pid: -1 }, { clock: {} }, { colour: 'red' }];
    for (const options of bad) {
      expect(() => new MemoryKillSwitchStore(options as never)).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
      );
    }
  });

  describe('simulateUnreadable()', () => {
    it('makes reads throw ERR_STATE_UNREADABLE and tells watchers once', async () => {
      const store = new MemoryKillSwitchStore();
      await store.update(() => change());
      const watcher = recordingWatcher();
      store.watch(watcher);
      await waitFor(() => watcher.records.length === 1, 'the current record');
      store.simulateUnreadable('disk on fire');
      store.simulateUnreadable('still on fire');
      await expect(store.read()).rejects.toMatchObject({
        code: 'ERR_STATE_UNREADABLE',
        message: 'still on fire',
      });
      expect(watcher.errors.map((error) => error.message)).toEqual(['disk on fire']);
    });

    it('passes the error to decide, and an update repairs it as a new revision', async () => {
      const store = new MemoryKillSwitchStore();
      await store.update(() => change({ state: 'SAFE' }));
      store.simulateUnreadable('corrupt');
      let seen: [unknown, LivegateError | undefined] | undefined;
      const result = await store.update((current, unreadable) => {
        seen = [current, unreadable];
        return change({ trigger: 'state-unreadable' });
      });
      expect(seen?.[0]).toBeNull();
      expect(isLivegateError(seen?.[1], 'ERR_STATE_UNREADABLE')).toBe(true);
      expect(result.record.revision).toBe(2);
      expect(result.repairedFrom).toMatch(/unreadable/);
      expect(await store.read()).toEqual(result.record);
    });

    it('refuses with ERR_STATE_UNREADABLE when decide declines over unreadable state', async () => {
      const store = new MemoryKillSwitchStore();
      store.simulateUnreadable('corrupt');
      await expect(store.update(() => null)).rejects.toMatchObject({
        code: 'ERR_STATE_UNREADABLE',
      });
    });

    it('re-arms onError after restoreReadable()', async () => {
      const store = new MemoryKillSwitchStore();
      const watcher = recordingWatcher();
      store.watch(watcher);
      store.simulateUnreadable('first');
      store.restoreReadable();
      expect(await store.read()).toBeNull();
      store.simulateUnreadable('second');
      expect(watcher.errors.map((error) => error.message)).toEqual(['first', 'second']);
    });
  });
});

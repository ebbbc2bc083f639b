// Damaged state is never guessed at: reads fail with ERR_STATE_UNREADABLE and an update repairs it.
import {
  chmodSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import { isLivegateError, type LivegateError } from '../../src/core/errors.js';
import type { KillSwitchRecord } from '../../src/core/kill-switch-record.js';
import {
  assertCompiledStoreIsFresh,
  change,
  makeStateDirectory,
  recordingWatcher,
  startFixture,
  waitFor,
  type TemporaryStateDirectory,
} from './file-kill-switch-store-harness.js';

describe('FileKillSwitchStore with damaged state', () => {
  let directory: TemporaryStateDirectory;
  let stores: FileKillSwitchStore[];
  let killswitch: string;
  let statePath: string;
  const revisionPath = (revision: number) =>
    join(killswitch, 'revisions', `${String(revision).padStart(12, '0')}.json`);

  const open = () => {
    const store = new FileKillSwitchStore({ stateDirectory: directory.path, pollIntervalMs: 20 });
    return store;
  };

  /** Three revisions (ENGAGED, SAFE, ENGAGED) written by a store that has read revision 3. */
  async function writeThree(): Promise<FileKillSwitchStore> {
    const store = open();
    for (const state of ['ENGAGED', 'SAFE', 'ENGAGED'] as const) {
      await store.update(() => change({ state }));
    }
    expect((await store.read())?.revision).toBe(3);
    return store;
  }

  /** read() rejects with ERR_STATE_UNREADABLE naming `where`, and a watcher hears onError. */
  async function expectFailsClosed(
    store: FileKillSwitchStore,
    where: RegExp,
  ): Promise<LivegateError> {
    const error = await store.read().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    if (!isLivegateError(error, 'ERR_STATE_UNREADABLE'))
      throw new Error(`expected ERR_STATE_UNREADABLE, got ${String(error)}`);
    expect(error.message).toMatch(where);
    const watcher = recordingWatcher();
    const stop = store.watch(watcher);
    await waitFor(() => watcher.errors.length > 0, 'onError');
    stop();
    expect(watcher.errors[0]?.code).toBe('ERR_STATE_UNREADABLE');
    return error;
  }

  beforeAll(() => assertCompiledStoreIsFresh());

  beforeEach(async () => {
    directory = await makeStateDirectory();
    stores = [];
    killswitch = join(directory.path, 'killswitch');
    statePath = join(killswitch, 'state.json');
  });

  afterEach(async () => {
    for (const store of stores) await store.close();
    chmodSync(directory.path, 0o700);
    await directory.remove();
  });

  describe('reads fail closed', () => {
    it('on a garbage state.json', async () => {
      await writeThree();
      writeFileSync(statePath, 'not json \u0000\u00ff at all');
      const error = await expectFailsClosed(open(), /state\.json.*not valid JSON/);
      expect(error.cause).toBeInstanceOf(SyntaxError);
    });

    it('on a truncated state.json', async () => {
      await writeThree();
      const text = readFileSync(statePath, 'utf8');
      writeFileSync(statePath, text.slice(0, text.length / 2));
      await expectFailsClosed(open(), /state\.json.*truncated/);
    });

    it('on a state.json of the wrong schema (state "MAYBE")', async () => {
      await writeThree();
      const record = JSON.parse(readFileSync(statePath, 'utf8')) as KillSwitchRecord;
      writeFileSync(statePath, JSON.stringify({ ...record, state: 'MAYBE' }));
      await expectFailsClosed(open(), /state\.json.*not a kill-switch record: state/);
    });

    it('on a state.json it has no permission to read', async () => {
      await writeThree();
      chmodSync(statePath, 0o600);
      if (process.getuid?.() === 0) {
        // chmod does not stop root: read as nobody instead, through traversable directories.
        for (const path of [directory.path, killswitch, join(killswitch, 'revisions')])
          chmodSync(path, 0o755);
        const reader = startFixture(
          'kill-switch-reader.mjs',
          { stateDirectory: directory.path },
          { uid: 65534, gid: 65534 },
        );
        expect((await reader.exited).code, reader.stderr()).toBe(0);
        const [result] = reader.messages as {
          uid: number;
          read: { error?: LivegateError };
          watched: { error?: LivegateError };
        }[];
        expect(result?.uid).toBe(65534);
        expect(result?.read.error).toMatchObject({
          code: 'ERR_STATE_UNREADABLE',
          message: expect.stringMatching(/state\.json.*EACCES/) as unknown,
        });
        expect(result?.watched.error?.code).toBe('ERR_STATE_UNREADABLE');
      } else {
        chmodSync(statePath, 0o000);
        await expectFailsClosed(open(), /state\.json.*EACCES/);
      }
    });

    it('on a state.json replaced by a directory', async () => {
      await writeThree();
      rmSync(statePath);
      mkdirSync(statePath);
      await expectFailsClosed(open(), /state\.json.*EISDIR/);
    });

    it('when the killswitch directory is deleted under a store that had read it', async () => {
      const store = await writeThree();
      rmSync(killswitch, { recursive: true });
      await expectFailsClosed(store, /revision 3 was seen but the state is gone/);
      // A store that never saw state cannot tell this from a first start.
      expect(await open().read()).toBeNull();
    });

    it('when the revision goes backwards under a store that had read a newer one', async () => {
      const store = open();
      await store.update(() => change());
      await store.update(() => change({ state: 'SAFE' }));
      cpSync(killswitch, `${killswitch}.backup`, { recursive: true });
      await store.update(() => change());
      expect((await store.read())?.revision).toBe(3);
      rmSync(killswitch, { recursive: true });
      renameSync(`${killswitch}.backup`, killswitch);
      await expectFailsClosed(store, /went backwards from revision 3 to 2/);
    });

    it('on a corrupt latest revision file that state.json has not caught up with', async () => {
      await writeThree();
      writeFileSync(statePath, readFileSync(revisionPath(2)));
      writeFileSync(revisionPath(3), '{"revision": 3, "sta');
      await expectFailsClosed(open(), /000000000003\.json.*not valid JSON/);
    });

    it('but not on a stray file past a missing revision, though a read looks ahead', async () => {
      // A store that has seen revision 3 reads 4 and 5 early (a change is usually 4). Reading one
      // at a time it would stop at the missing 4 and never open 5, so 5 must not fail it either.
      const store = await writeThree();
      writeFileSync(revisionPath(5), 'stray');
      expect((await store.read())?.revision).toBe(3);
      writeFileSync(revisionPath(4), 'torn');
      await expectFailsClosed(store, /000000000004\.json.*not valid JSON/);
    });

    it('on a revision file whose content disagrees with its name', async () => {
      await writeThree();
      rmSync(statePath);
      writeFileSync(revisionPath(3), readFileSync(revisionPath(2)));
      await expectFailsClosed(open(), /000000000003\.json.*holds revision 2 but its name says 3/);
    });
  });

  describe('an update over unreadable state', () => {
    it('writes max + 1, sets the unreadable state.json aside, and reads cleanly again', async () => {
      await writeThree();
      writeFileSync(statePath, 'garbage');
      const store = open();
      const watcher = recordingWatcher();
      store.watch(watcher);
      await waitFor(() => watcher.errors.length === 1, 'onError');

      let seen: LivegateError | undefined;
      const result = await store.update((current, unreadable) => {
        expect(current).toBeNull();
        seen = unreadable;
        return change({ trigger: 'state-unreadable', reason: 'repair' });
      });
      expect(seen?.code).toBe('ERR_STATE_UNREADABLE');
      expect(result.record.revision).toBe(4);
      expect(result.repairedFrom).toMatch(/state\.json\.unreadable-/);
      expect(readFileSync(result.repairedFrom ?? '', 'utf8')).toBe('garbage');
      expect(await store.read()).toEqual(result.record);
      expect(await open().read()).toEqual(result.record);
      expect((await store.history()).map((record) => record.revision)).toEqual([1, 2, 3, 4]);
      await waitFor(() => watcher.records.at(-1)?.revision === 4, 'the repaired record');
    });

    it('appends above a corrupt revision file and keeps it, so history still shows the damage', async () => {
      await writeThree();
      writeFileSync(statePath, readFileSync(revisionPath(2)));
      writeFileSync(revisionPath(3), 'torn');
      const result = await open().update(() => change({ reason: 'repair' }));
      expect(result.record.revision).toBe(4);
      // Moving it aside would leave a gap a stale state.json could stop at; it stays put.
      expect(result.repairedFrom).toBeUndefined();
      expect(readFileSync(revisionPath(3), 'utf8')).toBe('torn');
      expect(await open().read()).toEqual(result.record);
      expect(await open().history(1)).toEqual([result.record]);
      await expect(open().history()).rejects.toMatchObject({
        code: 'ERR_STATE_UNREADABLE',
        message: expect.stringMatching(/000000000003\.json/) as unknown,
      });
    });

    it('continues above the highest revision it saw when the state was deleted', async () => {
      const store = await writeThree();
      rmSync(killswitch, { recursive: true });
      const result = await store.update(() => change());
      expect(result.record.revision).toBe(4);
      expect(result.repairedFrom).toBeUndefined();
      expect(await store.read()).toEqual(result.record);
    });

    it('writes nothing and keeps failing closed when decide declines', async () => {
      await writeThree();
      writeFileSync(statePath, 'garbage');
      const store = open();
      await expect(store.update(() => null)).rejects.toMatchObject({
        code: 'ERR_STATE_UNREADABLE',
      });
      expect(readFileSync(statePath, 'utf8')).toBe('garbage');
      expect(readdirSync(join(killswitch, 'revisions'))).toHaveLength(3);
    });
  });
});

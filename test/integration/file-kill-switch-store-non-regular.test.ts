// A FIFO, a device or an oversized file where a record should be is unreadable state, never a hang.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FileEngineReports } from '../../src/adapters/stores/file-engine-reports.js';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import type { LivegateError } from '../../src/core/errors.js';
import {
  assertCompiledStoreIsFresh,
  change,
  makeStateDirectory,
  startFixture,
  type TemporaryStateDirectory,
} from './file-kill-switch-store-harness.js';

/** Well above the bound the reader is given, well below what a test may take. */
const HANG_MS = 10_000;
const READ_TIMEOUT_MS = 1_000;

interface ReaderResult {
  read: { error?: LivegateError; ms: number };
  watched: { error?: LivegateError; timedOut?: boolean; ms: number };
}

/**
 * Reads the state dir from another process, because the failure this guards against is a read that
 * blocks its whole process: in this one it would hang the test run instead of failing it.
 */
async function readInAnotherProcess(stateDirectory: string): Promise<ReaderResult> {
  const reader = startFixture('kill-switch-reader.mjs', {
    stateDirectory,
    readTimeoutMs: READ_TIMEOUT_MS,
  });
  const killer = setTimeout(() => reader.child.kill('SIGKILL'), HANG_MS);
  const exit = await reader.exited;
  clearTimeout(killer);
  expect(exit.signal, `the reader hung for ${HANG_MS} ms and was killed`).toBeNull();
  expect(exit.code, reader.stderr()).toBe(0);
  return reader.messages[0] as unknown as ReaderResult;
}

describe('FileKillSwitchStore with something other than a regular file for a record', () => {
  let directory: TemporaryStateDirectory;
  let killswitch: string;
  let statePath: string;
  const revisionPath = (revision: number) =>
    join(killswitch, 'revisions', `${String(revision).padStart(12, '0')}.json`);
  const open = () => new FileKillSwitchStore({ stateDirectory: directory.path });

  async function writeThree(): Promise<void> {
    const store = open();
    for (const state of ['ENGAGED', 'SAFE', 'ENGAGED'] as const) {
      await store.update(() => change({ state }));
    }
    await store.close();
  }

  function makeFifo(path: string): void {
    rmSync(path, { force: true });
    execFileSync('mkfifo', [path]);
  }

  beforeAll(() => assertCompiledStoreIsFresh());

  beforeEach(async () => {
    directory = await makeStateDirectory();
    killswitch = join(directory.path, 'killswitch');
    statePath = join(killswitch, 'state.json');
  });

  afterEach(() => directory.remove());

  it('fails closed, within the read bound, on a FIFO as state.json: read() and a watcher', async () => {
    await writeThree();
    makeFifo(statePath);
    const { read, watched } = await readInAnotherProcess(directory.path);
    expect(read.error).toMatchObject({
      code: 'ERR_STATE_UNREADABLE',
      message: expect.stringMatching(
        /state\.json is unreadable: is a FIFO, not a regular file/,
      ) as unknown,
    });
    expect(read.ms).toBeLessThan(READ_TIMEOUT_MS);
    expect(watched.error).toMatchObject({
      code: 'ERR_STATE_UNREADABLE',
      message: expect.stringMatching(/state\.json.*is a FIFO/) as unknown,
    });
    expect(watched.ms).toBeLessThan(READ_TIMEOUT_MS);
  });

  it('fails closed on a FIFO as the newest revision file that state.json has not caught up with', async () => {
    await writeThree();
    writeFileSync(statePath, readFileSync(revisionPath(2)));
    makeFifo(revisionPath(3));
    const { read, watched } = await readInAnotherProcess(directory.path);
    expect(read.error?.message).toMatch(/000000000003\.json is unreadable: is a FIFO/);
    expect(watched.error?.code).toBe('ERR_STATE_UNREADABLE');
  });

  it('fails closed on a state.json that is a link to a character device', async () => {
    await writeThree();
    rmSync(statePath);
    symlinkSync('/dev/null', statePath);
    await expect(open().read()).rejects.toMatchObject({
      code: 'ERR_STATE_UNREADABLE',
      message: expect.stringMatching(
        /state\.json.*is a character device, not a regular file/,
      ) as unknown,
    });
  });

  it('fails closed on a state.json larger than 1 MiB without reading it, even if valid JSON', async () => {
    await writeThree();
    const record = readFileSync(revisionPath(3), 'utf8');
    writeFileSync(statePath, `${' '.repeat(1024 * 1024)}${record}`);
    await expect(open().read()).rejects.toMatchObject({
      code: 'ERR_STATE_UNREADABLE',
      message: expect.stringMatching(/state\.json.*bytes, over the 1048576-byte limit/) as unknown,
    });
  });

  it('lists the other engine reports at once when one of them is a FIFO, and says which is not', async () => {
    const store = open();
    const engines = join(directory.path, 'engines');
    const report = {
      engineId: 'e1',
      host: 'h',
      pid: 1,
      startedAt: new Date().toISOString(),
      reportedAt: Date.now(),
      observedRevision: 0,
      observedAt: Date.now(),
      enforcedState: 'SAFE' as const,
      failClosed: false,
      stats: {},
    };
    await store.publishEngineReport(report);
    mkdirSync(engines, { recursive: true });
    const fifo = join(engines, 'e2.json');
    makeFifo(fifo);
    writeFileSync(join(engines, 'e3.json'), '{"engineId": "e3", "torn');
    try {
      const listed = await Promise.race([
        store.listEngineReports(),
        new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 3_000)),
      ]);
      if (listed === 'hung') throw new Error('listing hung on the FIFO');
      // The unreadable ones stay listed (each an engine that must confirm a kill), saying why.
      expect(listed.map((entry) => [entry.engineId, entry.unreadable ?? null])).toEqual([
        ['e1', null],
        ['e2', expect.stringMatching(/e2\.json is unreadable: is a FIFO, not a regular file/)],
        ['e3', expect.stringMatching(/not valid JSON/)],
      ]);
      expect(listed[0]).toEqual(report);
      const scan = await new FileEngineReports(engines, {
        timeoutMs: 1_000,
        maxBytes: 1024,
      }).scan();
      expect(scan.unreadable.map((error) => error.message)).toEqual([
        expect.stringMatching(/e2\.json is unreadable: is a FIFO, not a regular file/) as unknown,
      ]);
    } finally {
      // Before the fix a read sat in open() on the FIFO, holding a pool thread: let it go.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // ENXIO: nobody has it open, which is what should happen.
      }
      await store.close();
    }
  });
});

// Many processes writing one state dir at once: gap-free revisions, no lost change, no torn read.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import type { KillSwitchRecord } from '../../src/core/kill-switch-record.js';
import {
  assertCompiledStoreIsFresh,
  makeStateDirectory,
  percentile,
  startFixture,
  type FixtureProcess,
  type TemporaryStateDirectory,
} from './file-kill-switch-store-harness.js';

const WORKERS = 8;
const UPDATES_PER_WORKER = 100;

describe('FileKillSwitchStore with many writer processes', () => {
  let directory: TemporaryStateDirectory;
  let workers: FixtureProcess[] = [];

  beforeAll(() => assertCompiledStoreIsFresh());

  afterEach(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    workers = [];
    await directory.remove();
  });

  it('keeps revisions gap-free, every change exactly once, and every concurrent read whole', async () => {
    directory = await makeStateDirectory();
    workers = Array.from({ length: WORKERS }, (_, workerId) =>
      startFixture('kill-switch-writer.mjs', {
        stateDirectory: directory.path,
        workerId,
        count: UPDATES_PER_WORKER,
        waitForGo: true,
      }),
    );
    await Promise.all(workers.map((worker) => worker.message('ready')));
    for (const worker of workers) worker.child.stdin?.write('go\n');

    const reader = new FileKillSwitchStore({ stateDirectory: directory.path, useFsWatch: false });
    const observed: number[] = [];
    const readErrors: unknown[] = [];
    let running = true;
    const exits = Promise.all(workers.map((worker) => worker.exited)).finally(() => {
      running = false;
    });
    while (running) {
      try {
        const record = await reader.read();
        if (record !== null) observed.push(record.revision);
      } catch (error) {
        readErrors.push(error);
      }
      // Yield to the event loop (child exits, stdout) without hogging one of few CPUs.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const outcomes = await exits;
    expect(
      outcomes.map((outcome) => outcome.code),
      workers.map((w) => w.stderr()).join(''),
    ).toEqual(Array.from({ length: WORKERS }, () => 0));

    // Every concurrent read returned a validated record, and never an older one than before.
    expect(readErrors).toEqual([]);
    expect(observed.length).toBeGreaterThan(50);
    observed.slice(1).forEach((revision, index) => {
      expect(revision).toBeGreaterThanOrEqual(observed[index] ?? 0);
    });

    const total = WORKERS * UPDATES_PER_WORKER;
    const history = await reader.history();
    expect(history.map((record) => record.revision)).toEqual(
      Array.from({ length: total }, (_, index) => index + 1),
    );
    expect(await reader.read()).toEqual(history.at(-1));

    // Each worker change appears exactly once, at the revision its update() reported.
    const byReason = new Map<string, KillSwitchRecord[]>();
    for (const record of history)
      byReason.set(record.reason, [...(byReason.get(record.reason) ?? []), record]);
    expect(byReason.size).toBe(total);
    const latencies: number[] = [];
    for (const worker of workers) {
      const done = await worker.message('done');
      const written = done['written'] as number[];
      latencies.push(...(done['latencies'] as number[]));
      expect(written).toHaveLength(UPDATES_PER_WORKER);
      written.forEach((revision, sequence) => {
        const matches = byReason.get(`worker ${String(done['workerId'])} seq ${sequence}`) ?? [];
        expect(matches.map((record) => record.revision)).toEqual([revision]);
      });
    }
    // Under full contention from every worker at once; reported, not asserted (disks vary).
    console.info(
      `file store, ${WORKERS} contending processes: update p50 ${percentile(latencies, 0.5).toFixed(1)} ms, ` +
        `p99 ${percentile(latencies, 0.99).toFixed(1)} ms; ${observed.length} concurrent reads`,
    );
    await reader.close();
  });
});

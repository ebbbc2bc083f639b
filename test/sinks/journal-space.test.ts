// The journal's disk allowance: statfs once per stretch of bytes, never per event, and never into the reserve.

import { describe, expect, it } from 'vitest';
import { JournalSpace, type StatFs } from '../../src/adapters/sinks/journal-space.js';

const KIBIBYTE = 1024;
const MEBIBYTE = 1024 * KIBIBYTE;

/** A filesystem whose free space the test sets, counting how often it is asked. */
function fakeDisk(freeBytes: number) {
  const disk = {
    free: freeBytes,
    calls: 0,
    statfs: ((): { bavail: number; bsize: number } => {
      disk.calls++;
      return { bavail: Math.floor(disk.free / 4096), bsize: 4096 };
    }) as StatFs,
  };
  return disk;
}

describe('JournalSpace', () => {
  it('asks the filesystem about once per 256 KiB written, not once per event', () => {
    const disk = fakeDisk(10 * 1024 * MEBIBYTE);
    const space = new JournalSpace('/journal', 64 * MEBIBYTE, disk.statfs);
    for (let index = 0; index < 10_000; index++) {
      expect(space.take(300)).toBeUndefined();
      space.wrote(300);
    }
    expect(disk.calls).toBeLessThanOrEqual(Math.ceil((10_000 * 300) / (256 * KIBIBYTE)) + 1);
  });

  it('refuses the bytes that would cut into the reserve, counting what is not on disk yet', () => {
    const disk = fakeDisk(2 * MEBIBYTE);
    const space = new JournalSpace('/journal', MEBIBYTE, disk.statfs);
    let taken = 0;
    // Nothing reaches the disk (no wrote()): statfs keeps saying 2 MiB free, the journal must not believe it.
    while (space.take(1000) === undefined) taken += 1000;
    expect(taken).toBeLessThanOrEqual(MEBIBYTE);
    expect(taken).toBeGreaterThan(MEBIBYTE - 8 * KIBIBYTE);
    const refusal = space.take(1000);
    expect(refusal?.code).toBe('ERR_JOURNAL_FAILED');
    expect(refusal?.details).toMatchObject({ freeBytes: 2 * MEBIBYTE, reserveBytes: MEBIBYTE });
  });

  it('looks again at a rotation, so space taken by someone else since is seen at once', () => {
    const disk = fakeDisk(100 * MEBIBYTE);
    const space = new JournalSpace('/journal', MEBIBYTE, disk.statfs);
    expect(space.take(1000)).toBeUndefined();
    disk.free = MEBIBYTE;
    space.recheck();
    expect(space.take(1000)?.code).toBe('ERR_JOURNAL_FAILED');
  });

  it('never asks when the reserve is 0', () => {
    const disk = fakeDisk(0);
    const space = new JournalSpace('/journal', 0, disk.statfs);
    expect(space.check()).toBeUndefined();
    expect(space.take(10 * MEBIBYTE)).toBeUndefined();
    expect(disk.calls).toBe(0);
  });

  it('reports a filesystem it cannot ask as a failure', () => {
    const space = new JournalSpace('/journal', MEBIBYTE, () => {
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    });
    expect(space.check()?.message).toContain('EIO');
  });
});

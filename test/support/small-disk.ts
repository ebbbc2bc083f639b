// A real, small, fillable filesystem for disk-full tests: a tmpfs of its own (root only), never a fake.

import { execFileSync } from 'node:child_process';
import { closeSync, openSync, statfsSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** mount(8) needs root; tests that need a small disk skip with this reason otherwise. */
export const CANNOT_MOUNT = process.getuid?.() !== 0 ? 'needs root to mount a small tmpfs' : '';

export interface SmallDisk {
  readonly directory: string;
  /** Bytes an unprivileged writer may still use (what `df` shows as Available). */
  freeBytes(): number;
  /** Writes `name` until the disk refuses (ENOSPC), so the disk is really full; returns its path. */
  fill(name?: string): string;
  /** Like fill(), but stops while `leaveBytes` are still free. */
  fillUntilFree(leaveBytes: number, name?: string): string;
  unmount(): Promise<void>;
}

export async function mountSmallDisk(sizeBytes: number): Promise<SmallDisk> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', directory]);
  const freeBytes = (): number => {
    const stats = statfsSync(directory);
    return stats.bavail * stats.bsize;
  };
  return {
    directory,
    freeBytes,
    fill: (name = 'filler') => fillFile(path.join(directory, name), () => true),
    fillUntilFree: (leaveBytes, name = 'filler') =>
      fillFile(path.join(directory, name), (chunk) => freeBytes() - chunk >= leaveBytes),
    async unmount() {
      // Lazy: a child that still holds a file open must not leave the mount behind.
      execFileSync('umount', ['-l', directory]);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Appends zeros while `mayWrite(chunk)` allows, halving the chunk on ENOSPC down to one byte. */
function fillFile(file: string, mayWrite: (chunk: number) => boolean): string {
  const fd = openSync(file, 'a');
  try {
    let chunk = 1024 * 1024;
    while (chunk >= 1) {
      if (!mayWrite(chunk)) {
        chunk = Math.floor(chunk / 2);
        continue;
      }
      try {
        writeSync(fd, Buffer.alloc(chunk));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        chunk = Math.floor(chunk / 2);
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

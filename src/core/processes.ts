// Facts about other processes on this host: whether a pid exists, and when it started (Linux).

import { readFileSync } from 'node:fs';

/** True if the pid exists (EPERM: it exists but belongs to someone else). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** USER_HZ: the unit of /proc/<pid>/stat times, 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Epoch ms at which the process started, from /proc (the boot time has 1 s resolution), or
 * undefined where /proc cannot tell (not Linux, the process is gone). Tells a pid that was reused
 * by another program apart from the process that once reported it.
 */
export function processStartedAt(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Field 22 of proc(5), counted from `state` (field 3) here.
    const startTicks = Number(fields[19]);
    const bootTime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    if (!Number.isFinite(startTicks) || bootTime === undefined) return undefined;
    return (Number(bootTime) + startTicks / CLOCK_TICKS_PER_SECOND) * 1000;
  } catch {
    return undefined;
  }
}

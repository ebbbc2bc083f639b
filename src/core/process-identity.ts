// Which process a report came from, in terms that survive clock steps and containers: a hostname
// and a pid say nothing on their own (two pods sharing a hostname, a pid reused after a crash).

import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';

/** Facts the kernel keeps about a process (Linux), published in its engine report. */
export interface ProcessIdentity {
  /** /proc/sys/kernel/random/boot_id: a new value at every boot of the kernel. */
  readonly bootId: string;
  /** The pid namespace the pid is counted in (`pid:[4026531836]`): containers have their own. */
  readonly pidNamespace: string;
  /** Start time in clock ticks after boot (/proc/<pid>/stat field 22): no wall clock involved. */
  readonly startTicks: number;
}

/** Where a reported process stands as seen from this process. */
export type ProcessFate =
  /** Same host, kernel boot and pid namespace; the pid runs and started when the report says. */
  | 'running'
  /** Same host, boot and namespace; the pid is gone or now belongs to a later process. */
  | 'gone'
  /**
   * Same host name, another kernel boot: a process of an earlier boot of this host cannot run
   * now, unless the name is shared with another machine. Each caller decides what it may assume
   * (a lock in this host's state dir is taken over; no signal is ever sent to such a pid).
   */
  | 'earlier-boot'
  /** Another host or pid namespace, or a report without identity: nothing can be told. */
  | 'not-visible';

/** What the fate of a process is judged on; tests give fakes. */
export interface LocalProcesses {
  readonly hostname: string;
  /** This process's own identity, undefined where /proc cannot tell (not Linux). */
  readonly own: ProcessIdentity | undefined;
  exists(pid: number): boolean;
  startTicks(pid: number): number | undefined;
}

/** True if the pid exists (EPERM: it exists but belongs to someone else). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Start time of a pid in clock ticks after boot, or undefined (gone, not Linux). */
export function processStartTicks(pid: number | 'self'): number | undefined {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Field 22 of proc(5), counted from `state` (field 3) here.
    const ticks = Number(fields[19]);
    return Number.isSafeInteger(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

function readOwnIdentity(): ProcessIdentity | undefined {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidNamespace = readlinkSync('/proc/self/ns/pid');
    const startTicks = processStartTicks('self');
    if (bootId === '' || startTicks === undefined) return undefined;
    return { bootId, pidNamespace, startTicks };
  } catch {
    return undefined;
  }
}

let ownIdentity: ProcessIdentity | undefined | null = null;

/** This process's identity (read once: none of it changes while the process lives). */
export function ownProcessIdentity(): ProcessIdentity | undefined {
  if (ownIdentity === null) ownIdentity = readOwnIdentity();
  return ownIdentity;
}

export const thisHostProcesses: LocalProcesses = {
  hostname: os.hostname(),
  get own() {
    return ownProcessIdentity();
  },
  exists: processExists,
  startTicks: processStartTicks,
};

/** The reported facts a fate is judged from (an engine report has all of them). */
export interface ReportedProcess {
  readonly host: string;
  readonly pid: number;
  readonly process?: ProcessIdentity;
}

/**
 * Whether a reported process still runs, judged only where this process can see it: the same
 * host name, kernel boot and pid namespace (another boot under this host name: 'earlier-boot'). Without /proc on either side (not Linux) the host name
 * and pid are all there is, as before identities were reported.
 */
export function processFate(
  reported: ReportedProcess,
  local: LocalProcesses = thisHostProcesses,
): ProcessFate {
  if (reported.host !== local.hostname) return 'not-visible';
  const own = local.own;
  const identity = reported.process;
  if (own === undefined || identity === undefined) {
    // A report without identity read by a Linux process may come from any pid namespace.
    if (own !== undefined || identity !== undefined) return 'not-visible';
    return local.exists(reported.pid) ? 'running' : 'gone';
  }
  if (identity.bootId !== own.bootId) return 'earlier-boot';
  if (identity.pidNamespace !== own.pidNamespace) return 'not-visible';
  if (!local.exists(reported.pid)) return 'gone';
  const ticks = local.startTicks(reported.pid);
  // Exists but unreadable (hidepid, or it exited just now): assume it runs.
  if (ticks === undefined) return 'running';
  return ticks === identity.startTicks ? 'running' : 'gone';
}

/** Where a process is, for messages: `pid 123 on host-a`. */
export function describeProcess(reported: ReportedProcess): string {
  return `pid ${reported.pid} on ${reported.host}`;
}

/** True when two reports name the same process (same host, pid and, when known, start). */
export function sameProcess(a: ReportedProcess, b: ReportedProcess): boolean {
  if (a.host !== b.host || a.pid !== b.pid) return false;
  if (a.process === undefined || b.process === undefined) return true;
  return (
    a.process.bootId === b.process.bootId &&
    a.process.pidNamespace === b.process.pidNamespace &&
    a.process.startTicks === b.process.startTicks
  );
}

// A process is judged only where this one can see it; a reused pid and a clock step change nothing.

import { spawn } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  ownProcessIdentity,
  processFate,
  processStartTicks,
  sameProcess,
  type LocalProcesses,
  type ProcessIdentity,
} from '../../src/core/process-identity.js';

const linux = process.platform === 'linux';

describe.skipIf(!linux)('process identity on Linux (real /proc)', () => {
  it('reads this process: boot id, pid namespace and start ticks that match /proc/<pid>', () => {
    const own = ownProcessIdentity();
    expect(own?.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(own?.pidNamespace).toMatch(/^pid:\[\d+\]$/);
    expect(own?.startTicks).toBe(processStartTicks(process.pid));
  });

  it('a child that runs is running; once it exits it is gone', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    const pid = child.pid!;
    const reported = {
      host: os.hostname(),
      pid,
      process: { ...ownProcessIdentity()!, startTicks: processStartTicks(pid)! },
    };
    expect(processFate(reported)).toBe('running');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    expect(processFate(reported)).toBe('gone');
  });

  it('a live pid with another start time is a reused pid: gone', () => {
    const reported = {
      host: os.hostname(),
      pid: process.pid,
      process: { ...ownProcessIdentity()!, startTicks: ownProcessIdentity()!.startTicks + 1 },
    };
    expect(processFate(reported)).toBe('gone');
  });
});

const OWN: ProcessIdentity = { bootId: 'b1', pidNamespace: 'pid:[1]', startTicks: 5 };

function local(own: ProcessIdentity | undefined, running: Record<number, number>): LocalProcesses {
  return {
    hostname: 'h',
    own,
    exists: (pid) => pid in running,
    startTicks: (pid) => running[pid],
  };
}

describe('processFate', () => {
  it('cannot see another host or pid namespace, even where the pid exists here', () => {
    const here = local(OWN, { 7: 100 });
    expect(processFate({ host: 'other', pid: 7, process: { ...OWN, startTicks: 100 } }, here)).toBe(
      'not-visible',
    );
    expect(
      processFate({ host: 'h', pid: 7, process: { ...OWN, pidNamespace: 'pid:[2]' } }, here),
    ).toBe('not-visible');
  });

  it('names a report from another kernel boot under this host name: earlier-boot', () => {
    const here = local(OWN, { 7: 100 });
    expect(processFate({ host: 'h', pid: 99, process: { ...OWN, bootId: 'b0' } }, here)).toBe(
      'earlier-boot',
    );
    // Even where the pid runs now: it is a process of this boot, not the one reported.
    expect(
      processFate({ host: 'h', pid: 7, process: { ...OWN, bootId: 'b0', startTicks: 100 } }, here),
    ).toBe('earlier-boot');
  });

  it('a report without identity cannot be judged by a Linux reader', () => {
    expect(processFate({ host: 'h', pid: 99 }, local(OWN, {}))).toBe('not-visible');
  });

  it('without /proc on either side, a host name and a pid are all there is', () => {
    expect(processFate({ host: 'h', pid: 7 }, local(undefined, { 7: 0 }))).toBe('running');
    expect(processFate({ host: 'h', pid: 8 }, local(undefined, { 7: 0 }))).toBe('gone');
  });

  it('tells the same process from a successor under the same id', () => {
    const a = { host: 'h', pid: 7, process: { ...OWN, startTicks: 100 } };
    expect(sameProcess(a, { ...a })).toBe(true);
    expect(sameProcess(a, { ...a, pid: 8 })).toBe(false);
    expect(sameProcess(a, { ...a, process: { ...OWN, startTicks: 101 } })).toBe(false);
  });
});

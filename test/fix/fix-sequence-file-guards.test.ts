// The guards on a FIX session's sequence file, with real processes and real files: the lock names
// a live holder and is taken over from a dead one, and a writer never moves the numbers backwards.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import type { SessionId } from 'jspurefix';
import { describe, expect, it } from 'vitest';
import { FixSequenceFile } from '../../src/adapters/fix/fix-sequence-file.js';
import { FixSessionLock } from '../../src/adapters/fix/fix-session-lock.js';
import { ownProcessIdentity, processStartTicks } from '../../src/core/process-identity.js';

async function scratch(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'livegate-fix-guards-'));
}

/** A process that has run and exited: its pid is dead (or reused by another start time). */
async function deadPid(): Promise<{ pid: number; startTicks: number | undefined }> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 50)']);
  const pid = child.pid!;
  const startTicks = processStartTicks(pid);
  await new Promise((resolve) => child.once('exit', resolve));
  return { pid, startTicks };
}

describe('FixSessionLock', () => {
  it('names a live holder after waiting, and lets the next process in once it releases', async () => {
    const file = path.join(await scratch(), 'S-T.seqnums.lock');
    const first = new FixSessionLock(file);
    expect(await first.acquire(0)).toBeUndefined();
    const second = new FixSessionLock(file);
    const started = performance.now();
    const holder = await second.acquire(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(holder?.pid).toBe(process.pid);
    expect(holder?.description).toContain(`pid ${process.pid}`);
    first.release();
    expect(await second.acquire(0)).toBeUndefined();
    second.release();
  });

  it('takes over a lock whose holder has exited', async () => {
    const file = path.join(await scratch(), 'S-T.seqnums.lock');
    const dead = await deadPid();
    const identity = ownProcessIdentity();
    const started =
      identity === undefined ? {} : { process: { ...identity, startTicks: dead.startTicks ?? 0 } };
    await writeFile(file, JSON.stringify({ host: hostname(), pid: dead.pid, ...started }));
    const lock = new FixSessionLock(file);
    expect(await lock.acquire(0)).toBeUndefined();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });
});

describe('FixSequenceFile', () => {
  it('never writes numbers below the ones another writer put in the file', async () => {
    const file = path.join(await scratch(), 'S-T.seqnums');
    const store = new FixSequenceFile({} as SessionId, file);
    await store.initialize();
    await store.setSenderSeqNum(5);
    // Another process moved on meanwhile (a lock broken by hand, an old livegate).
    await writeFile(file, '40 30'.padEnd(63, ' ') + '\n');
    await store.setSenderSeqNum(6);
    expect((await readFile(file, 'utf8')).trim()).toBe('40 30');
    await store.setSenderSeqNum(41);
    expect((await readFile(file, 'utf8')).trim()).toBe('41 30');
    await store.reset();
    expect((await readFile(file, 'utf8')).trim()).toBe('1 1');
    await store.dispose();
  });
});

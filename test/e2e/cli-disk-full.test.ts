// `livegate run` with its state dir on a real, small tmpfs that fills up: the engine may not trade
// without its journal, and the journal never takes the space the kill-switch state needs.
// The journal cannot witness its own failure, so the engine's stdout log (per-order events at debug)
// and its HTTP status are the witnesses.

import { unlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import {
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
  type RunningCli,
} from '../support/cli-harness.js';
import { CANNOT_MOUNT, mountSmallDisk, type SmallDisk } from '../support/small-disk.js';

const KIBIBYTE = 1024;
const MEBIBYTE = 1024 * KIBIBYTE;

let disk: SmallDisk | undefined;
let engine: RunningCli | undefined;
afterEach(async () => {
  if (engine !== undefined && engine.child.exitCode === null) {
    engine.child.kill('SIGKILL');
    await engine.exited;
  }
  engine = undefined;
  await disk?.unmount();
  disk = undefined;
});

interface LogLine {
  readonly time: string;
  readonly msg: string;
  readonly event?: string;
  readonly action?: string;
  readonly enforcedState?: string;
  readonly record?: { readonly trigger: string; readonly state: string };
}

function logLines(stdout: string): LogLine[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Index of the first line the predicate accepts, or undefined (so it can be polled for). */
function indexOf(
  lines: readonly LogLine[],
  accept: (line: LogLine) => boolean,
): number | undefined {
  const index = lines.findIndex(accept);
  return index === -1 ? undefined : index;
}

const isEngaged = (line: LogLine) =>
  line.event === 'KillSwitchChanged' && line.enforcedState === 'ENGAGED';
const isOrder = (line: LogLine) => line.event === 'OrderSubmitted';

async function startEngine(
  stateDir: string,
  journal: Record<string, unknown>,
): Promise<RunningCli> {
  const configPath = path.join(await scratchDirectory(), 'livegate.json');
  await writeFile(configPath, JSON.stringify({ journal, engine: { heartbeatIntervalMs: 200 } }));
  const started = startCli([
    'run',
    '--config',
    configPath,
    '--state-dir',
    stateDir,
    '--engine-id',
    'disk-full',
    '--strategy',
    'one-order-per-tick',
    '--rate',
    '2000',
    '--ticks',
    '0',
    '--log-level',
    'debug',
    '--http',
    '127.0.0.1:0',
  ]);
  await waitFor('the engine to submit orders', () =>
    logLines(started.stdout()).some(isOrder) ? true : undefined,
  );
  // Registered before the disk fills: `kill` finds engines on this host through their reports.
  const store = new FileKillSwitchStore({ stateDirectory: stateDir });
  try {
    await waitFor('the engine to report', async () =>
      (await store.listEngineReports()).some((report) => report.engineId === 'disk-full')
        ? true
        : undefined,
    );
  } finally {
    await store.close();
  }
  return started;
}

async function engineStatus(running: RunningCli) {
  const url = /console and control API on (http:\/\/\S+)/.exec(running.stderr())?.[1];
  if (url === undefined) throw new Error(`no control API address in: ${running.stderr()}`);
  const response = await fetch(new URL('api/status', url));
  return (await response.json()) as {
    killSwitch: { enforcedState: string; failClosed: boolean; failure: string | null };
    engine: { ordersSubmitted: number; ticksBlocked: number };
  };
}

/** Every log line after the engine's gates closed: blocked ticks keep coming, orders never. */
async function expectNoOrderAfterEngaged(running: RunningCli): Promise<number> {
  const engagedAt = await waitFor('the engine to enforce ENGAGED', () =>
    indexOf(logLines(running.stdout()), isEngaged),
  );
  await waitFor('ticks blocked after the engage', () =>
    logLines(running.stdout())
      .slice(engagedAt)
      .filter((line) => line.event === 'TickBlocked').length > 200
      ? true
      : undefined,
  );
  const after = logLines(running.stdout()).slice(engagedAt);
  expect(after.filter(isOrder)).toEqual([]);
  return engagedAt;
}

describe.skipIf(CANNOT_MOUNT !== '')(`livegate run on a disk that fills ${CANNOT_MOUNT}`, () => {
  it('stops at journal.reserveBytes, engages durably with trigger journal-failed, and orders nothing after', async () => {
    disk = await mountSmallDisk(4 * MEBIBYTE);
    const stateDir = disk.directory;
    // The journal alone fills this disk in about two seconds.
    engine = await startEngine(stateDir, { reserveBytes: MEBIBYTE, maxFileBytes: 512 * KIBIBYTE });
    const engagedAt = await expectNoOrderAfterEngaged(engine);
    const lines = logLines(engine.stdout());
    const failedAt = indexOf(lines, (line) => line.event === 'JournalFailed');
    expect(failedAt).toBeLessThan(engagedAt);
    expect(lines[failedAt!]).toMatchObject({ action: 'engage' });
    expect(lines[failedAt!]!.msg).toContain('reserveBytes');
    expect(disk.freeBytes()).toBeGreaterThanOrEqual(MEBIBYTE - 64 * KIBIBYTE);

    // The reserve left room for the record: the engage is in the store, with its cause.
    const status = await waitFor('the engage to be durable', async () => {
      const result = await runCli(['status', '--state-dir', stateDir, '--json']);
      const parsed = JSON.parse(result.stdout) as {
        state: string;
        record: { trigger: string; reason: string };
      };
      return parsed.state === 'ENGAGED' ? parsed : undefined;
    });
    expect(status.record.trigger).toBe('journal-failed');
    expect(status.record.reason).toContain('journal cannot be written');

    // The run ends, and says its journal is incomplete.
    engine.child.kill('SIGTERM');
    const exit = await engine.exited;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('ERR_JOURNAL_FAILED');
  });

  it('engages when another process fills the disk, stays ENGAGED when space comes back, and leaves that space alone', async () => {
    disk = await mountSmallDisk(4 * MEBIBYTE);
    const stateDir = disk.directory;
    engine = await startEngine(stateDir, { reserveBytes: 256 * KIBIBYTE });
    const filler = disk.fill();
    const fullAt = Date.now();
    await expectNoOrderAfterEngaged(engine);
    const lines = logLines(engine.stdout());
    const failed = lines.find((line) => line.event === 'JournalFailed');
    expect(failed).toMatchObject({ action: 'engage' });
    const engaged = lines.find(isEngaged)!;
    const status = await engineStatus(engine);
    expect(status.killSwitch.enforcedState).toBe('ENGAGED');
    // The store is full too: the engage could not be recorded, so the engine fails closed on its own.
    expect(status.killSwitch.failure).toContain('ENOSPC');
    process.stdout.write(
      `disk full -> JournalFailed ${Date.parse(failed!.time) - fullAt} ms, ` +
        `-> ENGAGED ${Date.parse(engaged.time) - fullAt} ms\n`,
    );

    // Space comes back: the journal does not take it, and the engine does not trade again.
    unlinkSync(filler);
    const freed = disk.freeBytes();
    const ordersBefore = (await engineStatus(engine)).engine.ordersSubmitted;
    const blockedBefore = (await engineStatus(engine)).engine.ticksBlocked;
    await waitFor('more ticks blocked', async () =>
      (await engineStatus(engine!)).engine.ticksBlocked > blockedBefore + 400 ? true : undefined,
    );
    const after = await engineStatus(engine);
    expect(after.killSwitch.enforcedState).toBe('ENGAGED');
    expect(after.engine.ordersSubmitted).toBe(ordersBefore);
    // Engine reports (heartbeats) may be written again: a few KiB, not the journal's megabytes.
    expect(disk.freeBytes()).toBeGreaterThan(freed - 64 * KIBIBYTE);

    engine.child.kill('SIGTERM');
    await engine.exited;
  });
  it('an alert engine trades on without its journal; kill with the store full signals it, says so, exits 1, and it orders nothing after', async () => {
    disk = await mountSmallDisk(4 * MEBIBYTE);
    const stateDir = disk.directory;
    engine = await startEngine(stateDir, { onFailure: 'alert', reserveBytes: 256 * KIBIBYTE });
    disk.fill();
    const running = engine;
    const failedAt = await waitFor('the journal to stop', () =>
      indexOf(logLines(running.stdout()), (line) => line.event === 'JournalFailed'),
    );
    expect(logLines(running.stdout())[failedAt]).toMatchObject({ action: 'alert' });
    // Opted out of the audit trail: it keeps trading.
    await waitFor('orders after the journal stopped', () =>
      logLines(running.stdout()).slice(failedAt).filter(isOrder).length > 100 ? true : undefined,
    );

    const killStarted = Date.now();
    const kill = await runCli([
      'kill',
      '--state-dir',
      stateDir,
      '--reason',
      'disk full',
      '--by',
      'ops',
    ]);
    expect(kill.code).toBe(1);
    expect(kill.stdout).toMatch(/^store unwritable \(ERR_STATE_WRITE_FAILED: .*ENOSPC/);
    expect(kill.stdout).toMatch(/^ {2}signalled {2}disk-full pid \d+$/m);
    expect(kill.stdout).toContain('the change is NOT in the store');
    expect(kill.stderr).toContain('the kill is NOT durable');

    await expectNoOrderAfterEngaged(running);
    const lines = logLines(running.stdout());
    const engaged = lines.find(isEngaged)!;
    expect(lines.some((line) => line.msg.startsWith('SIGUSR2: engaging engine:disk-full'))).toBe(
      true,
    );
    const status = await engineStatus(running);
    expect(status.killSwitch.enforcedState).toBe('ENGAGED');
    expect(status.killSwitch.failure).toContain('ENOSPC');
    process.stdout.write(`kill issued -> ENGAGED ${Date.parse(engaged.time) - killStarted} ms\n`);

    // Machines get the same facts.
    const again = await runCli(['kill', '--state-dir', stateDir, '--reason', 'again', '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({
      ok: false,
      path: 'signal',
      durable: false,
      signal: 'SIGUSR2',
      signalled: [{ engineId: 'disk-full' }],
    });

    running.child.kill('SIGTERM');
    await running.exited;
  });
});

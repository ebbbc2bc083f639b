// Adversarial review of issue 9 (wt-review). Guarantee under test (docs/kill-switch.md, "A kill that
// needs no disk"): when the store cannot be written, `livegate kill` "sends SIGUSR2 to every engine
// under the scope whose report names this host and whose pid still runs and started before the
// report (so a reused pid is never signalled)".
//
// BREAK: "started before the report" compares the engine's `startedAt` (its own wall clock,
// `performance.timeOrigin + performance.now()`, fixed when the process started and never following
// a clock step) with the process start time from /proc (btime + start ticks; btime moves with every
// step of the host clock), with a 2 s tolerance. A host clock stepped forward by more than 2 s after
// the engine started (chrony/NTP correcting a VM booted with a slow RTC) makes every such engine look
// like a reused pid: `kill` skips it ("pid reused by a process started after this engine") and the
// engine, on a full disk, keeps trading. Reproduced on a real full tmpfs; the step is stood for by
// shifting only the engine's clock (test/fixtures/review-clock-stepped-preload.mjs), which gives the
// same two numbers the check compares. Fixed: the engine reports its start in clock ticks after
// boot (/proc), compared exactly; no wall clock is involved.
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

const PRELOAD = path.resolve('test/fixtures/review-clock-stepped-preload.mjs');
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

describe.skipIf(CANNOT_MOUNT !== '')(`kill on a full disk ${CANNOT_MOUNT}`, () => {
  it('signals a same-host engine that started before a forward step of the host clock', async () => {
    disk = await mountSmallDisk(4 * 1024 * 1024);
    const stateDir = disk.directory;
    const configPath = path.join(await scratchDirectory(), 'livegate.json');
    await writeFile(
      configPath,
      JSON.stringify({
        journal: { onFailure: 'alert', reserveBytes: 256 * 1024 },
        engine: { heartbeatIntervalMs: 200 },
      }),
    );
    engine = startCli(
      [
        'run',
        '--config',
        configPath,
        '--state-dir',
        stateDir,
        '--engine-id',
        'stepped',
        '--strategy',
        'one-order-per-tick',
        '--rate',
        '200',
        '--ticks',
        '0',
        '--no-http',
      ],
      { NODE_OPTIONS: `--import=${PRELOAD}`, LIVEGATE_TEST_CLOCK_STEP_MS: '10000' },
    );
    const store = new FileKillSwitchStore({ stateDirectory: stateDir });
    await waitFor('the engine to report', async () =>
      (await store.listEngineReports()).some(
        (report) => report.engineId === 'stepped' && Number(report.stats.ordersSubmitted) > 0,
      )
        ? true
        : undefined,
    );
    await store.close();
    disk.fill();
    const kill = await runCli([
      'kill',
      '--state-dir',
      stateDir,
      '--reason',
      'disk full',
      '--by',
      'ops',
    ]);
    console.log(kill.stdout);
    expect(kill.code).toBe(1);
    expect(kill.stdout).toContain('the change is NOT in the store');
    expect(kill.stdout).toMatch(/^ {2}signalled {2}stepped pid \d+$/m);
  }, 60_000);
});

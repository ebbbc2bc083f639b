// Issue 9, scenarios 1 and 2: a confirmed kill no stuck engine can escape. Real processes, a
// strategy that really blocks its event loop, and the journal as the witness.
import { writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import type { EngineReport } from '../../src/core/kill-switch-record.js';
import { ownProcessIdentity } from '../../src/core/process-identity.js';
import { engineReportFileName } from '../../src/adapters/stores/file-kill-switch-layout.js';
import { runCli, scratchDirectory, startCli, waitFor } from '../support/cli-harness.js';

const STALLING_STRATEGY = path.resolve('test/fixtures/stalling-strategy.mjs');

async function reportOf(stateDir: string, engineId: string): Promise<EngineReport | undefined> {
  const store = new FileKillSwitchStore({ stateDirectory: stateDir });
  try {
    return (await store.listEngineReports()).find((report) => report.engineId === engineId);
  } finally {
    await store.close();
  }
}

interface KillOutput {
  ok: boolean;
  durableAt: string;
  record: { revision: number };
  confirmations: {
    confirmed: { engineId: string }[];
    missing: { engineId: string; reason: string; unchangedForMs: number }[];
  };
}

/** A report as another process would publish it, written straight into the state dir. */
async function plantReport(stateDir: string, report: Record<string, unknown>): Promise<void> {
  const directory = path.join(stateDir, 'engines');
  await mkdir(directory, { recursive: true });
  const engineId = String(report.engineId);
  await writeFile(path.join(directory, engineReportFileName(engineId)), JSON.stringify(report));
}

async function initialise(stateDir: string): Promise<void> {
  expect(
    (await runCli(['init', '--state-dir', stateDir, '--reason', 'new', '--by', 't'])).code,
  ).toBe(0);
}

/** A kill that gives members 300 ms to confirm, as JSON. */
function killBriefly(stateDir: string) {
  const args = ['--state-dir', stateDir, '--reason', 'drill', '--by', 'tester'];
  return runCli(['kill', ...args, '--timeout', '300', '--json']);
}

function reportFields(engineId: string, overrides: Record<string, unknown> = {}) {
  const now = Date.now();
  return {
    engineId,
    host: os.hostname(),
    pid: process.pid,
    startedAt: new Date(now).toISOString(),
    reportedAt: now,
    observedRevision: 1,
    observedAt: now,
    enforcedState: 'SAFE',
    failClosed: false,
    stats: {},
    ...overrides,
  };
}

describe('confirmed kill: membership fixed at the write, never by comparing clocks', () => {
  it('waits for a really hung engine, names it, exits 1, and the stuck strategy sends no order after the durable kill', async () => {
    const stateDir = await scratchDirectory();
    const stallFile = path.join(stateDir, 'stall-now');
    const engine = startCli(
      [
        'run',
        '--state-dir',
        stateDir,
        '--engine-id',
        'stuck',
        '--strategy',
        STALLING_STRATEGY,
        '--rate',
        '200',
        '--ticks',
        '0',
        '--no-http',
      ],
      { LIVEGATE_TEST_STALL_FILE: stallFile, LIVEGATE_TEST_STALL_MS: '5000' },
    );
    try {
      await waitFor('the engine to trade', async () => {
        const report = await reportOf(stateDir, 'stuck');
        return report !== undefined && Number(report.stats.ordersSubmitted) > 2
          ? report
          : undefined;
      });
      await writeFile(stallFile, 'stall');
      // The strategy deletes the file as it starts blocking: from here the engine is really hung.
      await waitFor('the strategy to stall', async () =>
        (await import('node:fs')).existsSync(stallFile) ? undefined : true,
      );
      const kill = await runCli([
        'kill',
        '--state-dir',
        stateDir,
        '--reason',
        'stuck engine drill',
        '--by',
        'tester',
        '--timeout',
        '1500',
        '--json',
      ]);
      expect(kill.code).toBe(1);
      expect(kill.stderr).toContain('stuck');
      const result = JSON.parse(kill.stdout) as KillOutput;
      expect(result.ok).toBe(false);
      expect(result.confirmations.confirmed).toEqual([]);
      expect(result.confirmations.missing).toMatchObject([
        { engineId: 'stuck', reason: 'not-applied' },
      ]);
      const durableAt = Date.parse(result.durableAt);
      // After the stall the engine reads the kill and enforces it.
      await waitFor(
        'the engine to enforce the kill once unstuck',
        async () => {
          const report = await reportOf(stateDir, 'stuck');
          return report?.enforcedState === 'ENGAGED' &&
            (report.scopes?.global ?? 0) >= result.record.revision
            ? report
            : undefined;
        },
        15_000,
      );
      engine.child.kill('SIGTERM');
      expect((await engine.exited).code).toBe(0);
      const journal = await readJournal(path.join(stateDir, 'journal', 'stuck'));
      const submittedAfterKill = journal.events.filter(
        (event) => event.type === 'OrderSubmitted' && event.time > durableAt,
      );
      expect(submittedAfterKill).toEqual([]);
      const stale = journal.events.filter(
        (event) =>
          event.type === 'OrderDenied' &&
          event.code === 'KILL_SWITCH_STATE_STALE' &&
          event.time > durableAt,
      );
      expect(stale.length).toBeGreaterThanOrEqual(1);
    } finally {
      engine.child.kill('SIGKILL');
    }
  }, 40_000);

  it('counts an engine whose report has a field from a newer version, and one whose report is garbage, as members that must confirm', async () => {
    const stateDir = await scratchDirectory();
    await initialise(stateDir);
    await plantReport(stateDir, reportFields('newer-version', { addedInVersion2: { x: 1 } }));
    await mkdir(path.join(stateDir, 'engines'), { recursive: true });
    await writeFile(path.join(stateDir, 'engines', 'garbled.json'), '{"engineId": "garb');
    const kill = await killBriefly(stateDir);
    expect(kill.code).toBe(1);
    const result = JSON.parse(kill.stdout) as KillOutput;
    const missing = Object.fromEntries(
      result.confirmations.missing.map((engine) => [engine.engineId, engine.reason]),
    );
    expect(missing).toEqual({ 'newer-version': 'not-applied', garbled: 'unreadable' });
  });

  it('waits for an engine on another host whose clock is a minute behind, instead of dropping it as stale', async () => {
    const stateDir = await scratchDirectory();
    await initialise(stateDir);
    const behind = Date.now() - 60_000;
    await plantReport(
      stateDir,
      reportFields('remote', { host: 'another-host', reportedAt: behind, observedAt: behind }),
    );
    const kill = await killBriefly(stateDir);
    expect(kill.code).toBe(1);
    const result = JSON.parse(kill.stdout) as KillOutput;
    expect(result.confirmations.missing.map((engine) => engine.engineId)).toEqual(['remote']);
    expect(kill.stderr).toContain('remote');
  });

  it('does not wait for a same-host engine whose process is gone', async () => {
    const stateDir = await scratchDirectory();
    await initialise(stateDir);
    const exited = startCli(['--version']);
    const deadPid = exited.child.pid ?? 0;
    await exited.exited;
    // Its identity says it ran in this boot and pid namespace, so its absence is conclusive.
    const identity = { ...ownProcessIdentity()!, startTicks: 1 };
    await plantReport(stateDir, reportFields('crashed', { pid: deadPid, process: identity }));
    const kill = await runCli(['kill', '--state-dir', stateDir, '--reason', 'x', '--json']);
    expect(kill.code).toBe(0);
    expect((JSON.parse(kill.stdout) as KillOutput).confirmations.missing).toEqual([]);
  });

  it('names an engine frozen with SIGSTOP, exits 1, and the engine sends nothing after the durable kill once it is thawed', async () => {
    const stateDir = await scratchDirectory();
    const engine = startCli([
      'run',
      '--state-dir',
      stateDir,
      '--engine-id',
      'frozen',
      '--strategy',
      'one-order-per-tick',
      '--rate',
      '200',
      '--ticks',
      '0',
      '--no-http',
    ]);
    try {
      await waitFor('the engine to trade', async () => {
        const report = await reportOf(stateDir, 'frozen');
        return report !== undefined && Number(report.stats.ordersSubmitted) > 2
          ? report
          : undefined;
      });
      engine.child.kill('SIGSTOP');
      const kill = await runCli([
        'kill',
        '--state-dir',
        stateDir,
        '--reason',
        'frozen engine drill',
        '--timeout',
        '1000',
        '--json',
      ]);
      expect(kill.code).toBe(1);
      expect(kill.stderr).toContain('frozen');
      const durableAt = Date.parse((JSON.parse(kill.stdout) as KillOutput).durableAt);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      engine.child.kill('SIGCONT');
      await waitFor('the thawed engine to enforce the kill', async () => {
        const report = await reportOf(stateDir, 'frozen');
        return report?.enforcedState === 'ENGAGED' ? report : undefined;
      });
      engine.child.kill('SIGTERM');
      expect((await engine.exited).code).toBe(0);
      const journal = await readJournal(path.join(stateDir, 'journal', 'frozen'));
      expect(
        journal.events.filter((event) => event.type === 'OrderSubmitted' && event.time > durableAt),
      ).toEqual([]);
    } finally {
      engine.child.kill('SIGCONT');
      engine.child.kill('SIGKILL');
    }
  }, 30_000);
});

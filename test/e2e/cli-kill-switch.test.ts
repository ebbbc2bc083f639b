import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import {
  onlyJournal,
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
} from '../support/cli-harness.js';

async function engineReport(stateDir: string, engineId: string) {
  const store = new FileKillSwitchStore({ stateDirectory: stateDir });
  try {
    return (await store.listEngineReports()).find((report) => report.engineId === engineId);
  } finally {
    await store.close();
  }
}

describe('livegate run + kill across processes', () => {
  it('stops a running engine from another process: confirmed, and no order after it observed ENGAGED', async () => {
    const stateDir = await scratchDirectory();
    const engine = startCli([
      'run',
      '--state-dir',
      stateDir,
      '--engine-id',
      'e2e-engine',
      '--strategy',
      'one-order-per-tick',
      '--rate',
      '2000',
      '--ticks',
      '0',
    ]);
    await waitFor('the engine to report', async () => {
      const report = await engineReport(stateDir, 'e2e-engine');
      return report !== undefined && Number(report.stats.ordersSubmitted) > 0 ? report : undefined;
    });
    const status = await runCli(['status', '--state-dir', stateDir, '--json']);
    expect(status.code).toBe(0);
    const engines = (
      JSON.parse(status.stdout) as {
        engines: {
          engineId: string;
          live: boolean;
          risk?: { positions: { symbol: string; quantity: number }[]; rules: unknown[] };
        }[];
      }
    ).engines;
    expect(engines).toHaveLength(1);
    expect(engines[0]).toMatchObject({ engineId: 'e2e-engine', live: true });
    expect(engines[0]!.risk?.positions.some((position) => position.quantity > 0)).toBe(true);
    expect(engines[0]!.risk?.rules.length).toBeGreaterThan(0);
    const human = await runCli(['status', '--state-dir', stateDir]);
    expect(human.stdout).toMatch(/PnL( \(USD\))?: daily -?\d/);
    expect(human.stdout).toMatch(/rule \w+\s+\d+% of limit/);
    const kill = await runCli([
      'kill',
      '--state-dir',
      stateDir,
      '--reason',
      'e2e runaway',
      '--by',
      'tester',
      '--json',
    ]);
    expect(kill.stderr).toBe('');
    expect(kill.code).toBe(0);
    const result = JSON.parse(kill.stdout) as {
      ok: boolean;
      record: { revision: number; state: string; by: string };
      confirmations: { confirmed: { engineId: string; latencyMs: number }[]; missing: unknown[] };
    };
    expect(result.ok).toBe(true);
    expect(result.record).toMatchObject({ state: 'ENGAGED', by: 'tester' });
    expect(result.confirmations.confirmed.map((entry) => entry.engineId)).toEqual(['e2e-engine']);
    // Let it keep receiving ticks for a while after the kill, then stop it.
    await waitFor('ticks to be blocked', async () => {
      const report = await engineReport(stateDir, 'e2e-engine');
      return report !== undefined && Number(report.stats.ticksBlocked) > 50 ? true : undefined;
    });
    engine.child.kill('SIGTERM');
    const exit = await engine.exited;
    expect(exit.code).toBe(0);

    const { events, tornLines } = await readJournal(await onlyJournal(stateDir));
    expect(tornLines).toBe(0);
    const engagedAt = events.findIndex(
      (event) => event.type === 'KillSwitchChanged' && event.enforcedState === 'ENGAGED',
    );
    expect(engagedAt).toBeGreaterThan(0);
    const before = events.slice(0, engagedAt);
    const after = events.slice(engagedAt);
    expect(before.filter((event) => event.type === 'OrderSubmitted').length).toBeGreaterThan(0);
    expect(after.filter((event) => event.type === 'OrderSubmitted')).toEqual([]);
    expect(after.filter((event) => event.type === 'TickBlocked').length).toBeGreaterThan(50);
    expect(events.at(-1)).toMatchObject({ type: 'RunStopped', reason: 'stopped' });
    // A cleanly stopped engine withdraws its report.
    expect(await engineReport(stateDir, 'e2e-engine')).toBeUndefined();
  });

  it('names an engine that does not confirm in time and exits 1', async () => {
    const stateDir = await scratchDirectory();
    // A live process that claims to be an engine but never applies anything.
    const silent = startCli([
      'run',
      '--state-dir',
      stateDir,
      '--engine-id',
      'real',
      '--rate',
      '10',
      '--ticks',
      '0',
    ]);
    await waitFor('the real engine', () => engineReport(stateDir, 'real'));
    const real = await engineReport(stateDir, 'real');
    const store = new FileKillSwitchStore({ stateDirectory: stateDir });
    await store.publishEngineReport({
      ...real!,
      engineId: 'hung-engine',
      reportedAt: Date.now() + 60_000,
    });
    await store.close();
    const kill = await runCli([
      'kill',
      '--state-dir',
      stateDir,
      '--reason',
      'test',
      '--timeout',
      '300',
    ]);
    expect(kill.code).toBe(1);
    expect(kill.stderr).toContain('ERR_CONFIRM_TIMEOUT');
    expect(kill.stderr).toContain('hung-engine');
    expect(kill.stdout).toMatch(/ok\s+real/);
    silent.child.kill('SIGTERM');
    expect((await silent.exited).code).toBe(0);
  });

  it('requires a reason to kill and an operator name to reset (usage errors exit 2)', async () => {
    const stateDir = await scratchDirectory();
    expect((await runCli(['kill', '--state-dir', stateDir])).code).toBe(2);
    const reset = await runCli(['reset', '--state-dir', stateDir, '--reason', 'ok']);
    expect(reset.code).toBe(2);
    expect(reset.stderr).toContain('--by');
  });

  it('kill, reduce, status and reset act on the same durable state with full metadata', async () => {
    const stateDir = await scratchDirectory();
    expect(
      (await runCli(['init', '--state-dir', stateDir, '--reason', 'new desk', '--by', 'ann'])).code,
    ).toBe(0);
    expect(
      (await runCli(['reduce', '--state-dir', stateDir, '--reason', 'trim', '--by', 'ann'])).code,
    ).toBe(0);
    expect(
      (await runCli(['kill', '--state-dir', stateDir, '--reason', 'halt', '--by', 'ann'])).code,
    ).toBe(0);
    const again = await runCli([
      'kill',
      '--state-dir',
      stateDir,
      '--reason',
      'halt twice',
      '--by',
      'bo',
    ]);
    expect(again.stdout).toContain('already in force');
    const status = await runCli(['status', '--state-dir', stateDir, '--json']);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as {
      state: string;
      record: Record<string, unknown>;
      history: unknown[];
    };
    expect(parsed.state).toBe('ENGAGED');
    expect(parsed.record).toMatchObject({
      revision: 3,
      by: 'ann',
      reason: 'halt',
      trigger: 'manual',
    });
    expect(typeof parsed.record.pid).toBe('number');
    expect(parsed.history).toHaveLength(3);
    const reset = await runCli([
      'reset',
      '--state-dir',
      stateDir,
      '--reason',
      'reviewed',
      '--by',
      'cy',
    ]);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('SAFE at revision 4');
  });

  it('fails closed on a corrupt state file: the engine orders nothing, status exits 1, reset repairs', async () => {
    const stateDir = await scratchDirectory();
    expect(
      (await runCli(['init', '--state-dir', stateDir, '--reason', 'init', '--by', 'ops'])).code,
    ).toBe(0);
    const statePath = path.join(stateDir, 'killswitch', 'state.json');
    const original = await readFile(statePath, 'utf8');
    await writeFile(statePath, original.slice(0, original.length / 2));
    const run = await runCli([
      'run',
      '--state-dir',
      stateDir,
      '--ticks',
      '50',
      '--rate',
      '0',
      '--strategy',
      'one-order-per-tick',
    ]);
    expect(run.code).toBe(3); // the run ended with its own gates closed
    expect(run.stderr).toContain('kill switch FAIL-CLOSED (state-unreadable)');
    expect(run.stderr).toContain('run ended FAIL-CLOSED state-unreadable');
    const { events } = await readJournal(await onlyJournal(stateDir));
    expect(events.filter((event) => event.type === 'OrderSubmitted')).toEqual([]);
    expect(events.filter((event) => event.type === 'TickBlocked')).toHaveLength(50);
    const status = await runCli(['status', '--state-dir', stateDir]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('UNREADABLE');
    const reset = await runCli([
      'reset',
      '--state-dir',
      stateDir,
      '--reason',
      'restored',
      '--by',
      'ops',
    ]);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('kept it aside');
    expect((await runCli(['status', '--state-dir', stateDir])).code).toBe(0);
  });

  it('never creates a store: kill, reduce, reset and status pointed where no state is exit 1 and say where they looked', async () => {
    const engineDir = await scratchDirectory();
    const engine = startCli([
      'run',
      '--state-dir',
      engineDir,
      '--engine-id',
      'right-place',
      '--rate',
      '500',
      '--ticks',
      '0',
      '--no-http',
    ]);
    try {
      await waitFor('the engine to report', () => engineReport(engineDir, 'right-place'));
      const elsewhere = await scratchDirectory();
      const wrongDir = path.join(elsewhere, '.livegate');
      for (const args of [
        ['kill', '--reason', 'wrong place'],
        ['reduce', '--reason', 'wrong place'],
        ['reset', '--reason', 'wrong place', '--by', 'ops'],
        ['status'],
      ]) {
        const result = await runCli([...args, '--state-dir', wrongDir]);
        expect(result.code, args[0]).toBe(1);
        expect(result.stderr).toContain('ERR_STATE_MISSING');
        expect(result.stderr).toContain(wrongDir);
        expect(result.stderr).toContain('--state-dir');
      }
      expect(await readdir(elsewhere)).toEqual([]);
      // The engine in the right place never saw any of it.
      const report = await engineReport(engineDir, 'right-place');
      expect(report?.enforcedState).toBe('SAFE');
      expect(report?.observedRevision).toBe(1);
    } finally {
      engine.child.kill('SIGTERM');
      await engine.exited;
    }
  });
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import { runCli, scratchDirectory, startCli, waitFor } from '../support/cli-harness.js';

async function reports(stateDir: string) {
  const store = new FileKillSwitchStore({ stateDirectory: stateDir });
  try {
    return await store.listEngineReports();
  } finally {
    await store.close();
  }
}

function startEngine(stateDir: string, engineId: string) {
  return startCli([
    'run',
    '--state-dir',
    stateDir,
    '--engine-id',
    engineId,
    '--strategy',
    'one-order-per-tick',
    '--rate',
    '1000',
  ]);
}

describe('livegate kill with several engines on one state dir', () => {
  it('waits for every running engine and names each one that confirmed', async () => {
    const stateDir = await scratchDirectory();
    const engines = [startEngine(stateDir, 'desk-a'), startEngine(stateDir, 'desk-b')];
    await waitFor('both engines to report', async () =>
      (await reports(stateDir)).length === 2 ? true : undefined,
    );
    const kill = await runCli(['kill', '--state-dir', stateDir, '--reason', 'both', '--json']);
    expect(kill.code).toBe(0);
    const result = JSON.parse(kill.stdout) as {
      confirmations: { confirmed: { engineId: string; enforcedState: string }[] };
    };
    expect(result.confirmations.confirmed.map((engine) => engine.engineId).sort()).toEqual([
      'desk-a',
      'desk-b',
    ]);
    expect(
      result.confirmations.confirmed.every((engine) => engine.enforcedState === 'ENGAGED'),
    ).toBe(true);
    for (const engine of engines) engine.child.kill('SIGTERM');
    for (const engine of engines) expect((await engine.exited).code).toBe(0);
    // One journal per engine: neither rotated nor interleaved with the other.
    for (const id of ['desk-a', 'desk-b']) {
      const { events } = await readJournal(path.join(stateDir, 'journal', id));
      expect(events.every((event) => event.engineId === id)).toBe(true);
    }
  });

  it('does not wait for an engine that was killed -9, and its journal stays readable', async () => {
    const stateDir = await scratchDirectory();
    const engine = startEngine(stateDir, 'crashed');
    await waitFor('orders in the journal', async () => {
      const list = await reports(stateDir);
      return list.length === 1 && Number(list[0]!.stats.ordersSubmitted) > 100 ? true : undefined;
    });
    engine.child.kill('SIGKILL');
    expect((await engine.exited).signal).toBe('SIGKILL');
    // Its report is still on disk, but its pid is gone: kill must not wait the full timeout for it.
    expect(await reports(stateDir)).toHaveLength(1);
    const started = Date.now();
    const kill = await runCli([
      'kill',
      '--state-dir',
      stateDir,
      '--reason',
      'after crash',
      '--timeout',
      '20000',
    ]);
    expect(kill.code).toBe(0);
    expect(kill.stdout).toContain('no engines registered');
    expect(Date.now() - started).toBeLessThan(15_000);
    const { events, tornLines } = await readJournal(path.join(stateDir, 'journal', 'crashed'));
    expect(tornLines).toBeLessThanOrEqual(1);
    expect(events[0]?.type).toBe('RunStarted');
    expect(events.filter((event) => event.type === 'OrderSubmitted').length).toBeGreaterThan(0);
    const status = await runCli(['status', '--state-dir', stateDir]);
    expect(status.stdout).toMatch(/gone +crashed/); // its process exited: not "stale", not "live"
  });
});

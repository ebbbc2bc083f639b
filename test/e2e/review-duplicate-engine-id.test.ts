// Adversarial review of issue 9 (wt-review). Guarantee under test (docs/kill-switch.md, "Confirmed
// kill"): "by the time `livegate kill` answers, live engines on the host have blocked, or `kill`
// names them and exits 1"; "`livegate kill` never reports an engine as confirmed while it can still
// send".
//
// BREAK (fixed): confirmations were keyed by engine id only, and nothing stopped a second process
// from running with an id that a live (here: frozen) engine still held. The newcomer overwrote the
// old process's report; `kill` counted the newcomer's confirmation for both and exited 0 while the
// first process (alive, never applied the kill) was not named.
// Now `run` refuses an id held by a process that runs on this host (ERR_ENGINE_ID_IN_USE), and a
// confirmed change names a member whose id another process took over during the wait.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import { runCli, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';

async function reportOf(stateDir: string, engineId: string) {
  const store = new FileKillSwitchStore({ stateDirectory: stateDir });
  try {
    return (await store.listEngineReports()).find((report) => report.engineId === engineId);
  } finally {
    await store.close();
  }
}

function engine(stateDir: string): RunningCli {
  return startCli([
    'run',
    '--state-dir',
    stateDir,
    '--engine-id',
    'dup',
    '--strategy',
    'one-order-per-tick',
    '--rate',
    '200',
    '--ticks',
    '0',
    '--no-http',
  ]);
}

describe('confirmed kill with an engine id held by two live processes', () => {
  it('a second process refuses the id of a hung engine, and kill exits 1 naming the hung process', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-review-dup-'));
    const first = engine(stateDir);
    let second: RunningCli | undefined;
    try {
      await waitFor('the first process to trade', async () => {
        const report = await reportOf(stateDir, 'dup');
        return report?.pid === first.child.pid && Number(report?.stats.ordersSubmitted) > 2
          ? true
          : undefined;
      });
      first.child.kill('SIGSTOP'); // hung, still alive
      second = engine(stateDir); // "restarted" with the same id
      const refused = await second.exited;
      expect(refused.code).toBe(1);
      expect(second.stderr()).toContain('ERR_ENGINE_ID_IN_USE');
      expect(second.stderr()).toContain(`pid ${String(first.child.pid)}`);
      expect((await reportOf(stateDir, 'dup'))?.pid).toBe(first.child.pid);
      const kill = await runCli([
        'kill',
        '--state-dir',
        stateDir,
        '--reason',
        'duplicate id drill',
        '--timeout',
        '1500',
        '--json',
      ]);
      console.log(`kill exit ${String(kill.code)}; stderr: ${kill.stderr.trim()}`);
      // The first process is alive and has applied nothing: it must be named.
      expect(kill.code).toBe(1);
      expect(kill.stderr).toContain(String(first.child.pid));
    } finally {
      first.child.kill('SIGCONT');
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      await first.exited;
      if (second !== undefined) await second.exited;
    }
  }, 40_000);
});

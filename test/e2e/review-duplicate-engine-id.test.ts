// Adversarial review of issue 9 (wt-review). Guarantee under test (docs/kill-switch.md, "Confirmed
// kill"): "by the time `livegate kill` answers, live engines on the host have blocked, or `kill`
// names them and exits 1"; "`livegate kill` never reports an engine as confirmed while it can still
// send".
//
// BREAK: confirmations are keyed by engine id only, and nothing stops a second process from running
// with an id that a live (here: frozen) engine still holds — an engine restarted with the same id
// while the old process is hung, or the same id configured on two hosts of a fleet. The newcomer
// overwrites the old process's report; `kill` then counts the newcomer's confirmation for both
// and exits 0 while the first process (pid alive, never applied the kill) is not named.
// Marked it.fails until fixed (e.g. refuse to start over a live report of another pid, or key
// membership by engine id + host + pid).
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
  it.fails(
    'kill exits 1 naming the hung process when a second process took over its engine id',
    async () => {
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
        await waitFor('the second process to report', async () => {
          const report = await reportOf(stateDir, 'dup');
          return report?.pid === second?.child.pid ? true : undefined;
        });
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
    },
    40_000,
  );
});

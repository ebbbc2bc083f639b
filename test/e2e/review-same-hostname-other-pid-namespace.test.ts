// Adversarial review of issue 9 (wt-review). Guarantee under test (docs/kill-switch.md, "Confirmed
// kill"): "nothing else is [known to be gone] … an engine on a host whose clock is behind, or one
// that is hung, stays a member"; "`kill` exits 1 naming every member that did not [confirm]".
//
// BREAK: "known gone" is `report.host === os.hostname() && !processExists(report.pid)`. A hostname
// does not identify a pid namespace: engines in containers or pods that share the host's UTS
// namespace (Kubernetes `hostNetwork: true`, Docker `--uts=host`) or hosts with the same name
// report pids that do not exist where `livegate kill` runs. Such an engine is dropped from the
// membership before the wait even starts: `kill` prints "no engines registered on this store" and
// exits 0 while the engine (here frozen with SIGSTOP, never applying the kill) is alive.
// (The same rule makes `status`/the watchdog call it stale, and the signal fallback would signal
// whatever local process has that pid if it started earlier than the report claims.)
// Reproduced with a real `livegate run` in its own PID namespace (unshare -pf, root only).
// Fixed: reports carry the kernel boot id and pid namespace;
// only a process in ours can be known gone (src/core/process-identity.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import { CLI, assertBuilt, runCli, waitFor } from '../support/cli-harness.js';

function unshareAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('unshare', ['-pf', '--mount-proc', 'true']);
    return true;
  } catch {
    return false;
  }
}

/** Host pid of the process whose command line contains `marker` (our own engine, found once). */
function hostPidOf(marker: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline[0]?.endsWith('node') === true && cmdline.includes(marker)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

describe('confirmed kill with an engine in another PID namespace on a host of the same name', () => {
  it('kill exits 1 naming a frozen engine whose pid is not visible to the CLI', async (context) => {
    if (!unshareAvailable()) {
      context.skip();
      return;
    }
    assertBuilt();
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-review-pidns-'));
    const engineId = `pod-${process.pid}`;
    // A pid far above anything on this host, inside the new namespace.
    const script = `echo 3999990 > /proc/sys/kernel/ns_last_pid; "${process.execPath}" "${CLI}" run --state-dir "${stateDir}" --engine-id ${engineId} --strategy one-order-per-tick --rate 100 --ticks 0 --no-http`;
    const wrapper = spawn('unshare', ['-pf', '--mount-proc', 'sh', '-c', script], {
      env: { ...process.env, LIVEGATE_CONFIG: '', LIVEGATE_STATE_DIR: '' },
      stdio: 'ignore',
    });
    let enginePid: number | undefined;
    try {
      const store = new FileKillSwitchStore({ stateDirectory: stateDir });
      const report = await waitFor(
        'the namespaced engine to trade',
        async () => {
          const found = (await store.listEngineReports()).find((r) => r.engineId === engineId);
          return found !== undefined && Number(found.stats.ordersSubmitted) > 2 ? found : undefined;
        },
        20_000,
      );
      await store.close();
      expect(report.host).toBe(os.hostname());
      expect(existsSync(`/proc/${report.pid}`)).toBe(false); // its pid is not ours to see
      enginePid = hostPidOf(engineId);
      expect(enginePid).toBeDefined();
      process.kill(enginePid!, 'SIGSTOP'); // alive, hung, applies nothing
      const kill = await runCli([
        'kill',
        '--state-dir',
        stateDir,
        '--reason',
        'pid namespace drill',
        '--timeout',
        '1500',
      ]);
      console.log(`kill exit ${String(kill.code)}: ${kill.stdout.trim().split('\n').at(-1)}`);
      expect(kill.code).toBe(1);
      expect(kill.stderr).toContain(engineId);
    } finally {
      if (enginePid !== undefined) {
        process.kill(enginePid, 'SIGCONT');
        process.kill(enginePid, 'SIGKILL');
      }
      wrapper.kill('SIGKILL');
    }
  }, 40_000);
});

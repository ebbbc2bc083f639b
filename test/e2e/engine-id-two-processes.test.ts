// Two processes under one engine id must not both trade: a kill counts one's confirmation for both
// (issue 9). The start-up claim cannot see a second `run` that lists the reports before the first
// has published (review 2 found both trading), nor one started while the store could not list, so
// each running engine reads its id back at every heartbeat and engages `engine:<id>` when the key
// holds another process's report.
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import type { EngineReport } from '../../src/core/kill-switch-record.js';
import { startCli, waitFor, type RunningCli } from '../support/cli-harness.js';

const ENGINE_ID = 'twice';

function engine(stateDir: string): RunningCli {
  return startCli([
    'run',
    '--state-dir',
    stateDir,
    '--engine-id',
    ENGINE_ID,
    '--strategy',
    'one-order-per-tick',
    '--rate',
    '100',
    '--ticks',
    '0',
    '--no-http',
  ]);
}

async function engineScopeState(stateDir: string) {
  const store = new FileKillSwitchStore({ stateDirectory: stateDir, scope: `engine:${ENGINE_ID}` });
  try {
    return await store.read();
  } finally {
    await store.close();
  }
}

async function reportOf(stateDir: string): Promise<EngineReport | undefined> {
  const store = new FileKillSwitchStore({ stateDirectory: stateDir });
  try {
    return await store.readEngineReport(ENGINE_ID);
  } finally {
    await store.close();
  }
}

async function stop(...engines: RunningCli[]): Promise<void> {
  for (const running of engines) running.child.kill('SIGKILL');
  await Promise.all(engines.map((running) => running.exited));
}

describe('one engine id, two processes', () => {
  it('a trading engine that finds another live process reporting under its id engages engine:<id>', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-id-twice-'));
    const first = engine(stateDir);
    // The other process: alive, on this host, publishing under the same id as a second `run`
    // that passed its claim would (its own pid, its own start time).
    const other = spawn('sleep', ['60']);
    const store = new FileKillSwitchStore({ stateDirectory: stateDir });
    let publishing = true;
    try {
      const own = await waitFor('the first engine trading', async () => {
        const report = await reportOf(stateDir);
        return report?.pid === first.child.pid && Number(report?.stats.ordersSubmitted) > 2
          ? report
          : undefined;
      });
      const beats = (async () => {
        for (let beat = 0; publishing; beat++) {
          await store.publishEngineReport({
            ...own,
            pid: other.pid!,
            process: undefined,
            reportedAt: Date.now(),
            startedAt: new Date().toISOString(),
          });
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();
      const engaged = await waitFor(
        'engine:twice engaged by the engine',
        async () => {
          const record = await engineScopeState(stateDir);
          return record?.state === 'ENGAGED' ? record : undefined;
        },
        10_000,
      );
      publishing = false;
      await beats;
      expect(engaged.reason).toContain(`pid ${String(other.pid)}`);
      expect(engaged.reason).toContain('two processes run under one id');
      expect(engaged.trigger).toBe('engine-id-conflict');
      expect(first.stderr() + first.stdout()).toContain('ENGINE ID IN USE TWICE');
    } finally {
      publishing = false;
      other.kill('SIGKILL');
      await store.close();
      await stop(first);
    }
  }, 30_000);

  it('two `livegate run` started at the same instant with one id: never both trading', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-id-race-'));
    const pair = [engine(stateDir), engine(stateDir)];
    try {
      const outcome = await waitFor(
        'one refused at start or engine:twice engaged',
        async () => {
          const refused = pair.find((running) => running.child.exitCode === 1);
          if (refused !== undefined) return `refused: ${refused.stderr()}`;
          const record = await engineScopeState(stateDir);
          return record?.state === 'ENGAGED' ? `engaged: ${record.reason}` : undefined;
        },
        15_000,
      );
      console.log(`two runs at once: ${outcome.split('\n')[0]}`);
      expect(outcome).toMatch(/ERR_ENGINE_ID_IN_USE|two processes run under one id/);
    } finally {
      await stop(...pair);
    }
  }, 30_000);
});

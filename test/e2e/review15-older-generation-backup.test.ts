// Review 15 (issue 14, "a store that is behind is not the truth"): the high-water mark knows only
// the generations its state dir saw replaced. A backup from before a store loss holds a generation
// an engine started after the loss never saw, so restoring it is taken as "state re-created after a
// loss": a running engine that had confirmed a kill applies the backup's SAFE record (it is of
// another generation, so "newer"; its `init` trigger even releases a fail-closed latch) and trades,
// and an engine restarted on the same state dir does the same. Nobody reset anything.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createKillSwitchStore } from '../../src/adapters/index.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { EngineReport } from '../../src/core/kill-switch-record.js';
import { runCli, startCli, waitFor, writeFleetConfig } from '../support/cli-harness.js';
import {
  deleteNamespace,
  machineRedisAvailable,
  MACHINE_REDIS_URL,
  uniqueNamespace,
} from '../support/redis-server.js';
import { backUpNamespace, restoreNamespace } from '../support/redis-backup.js';

const available = await machineRedisAvailable('older-generation backup (redis)');

describe.skipIf(!available)('a backup from before a store loss, restored under the fleet', () => {
  it('an engine that confirmed a kill does not trade on it, running or restarted', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-review15-gen-'));
    const namespace = uniqueNamespace('review15-gen');
    const config = await writeFleetConfig(
      directory,
      { store: 'redis', url: MACHINE_REDIS_URL, namespace, pollIntervalMs: 100 },
      200,
    );
    const ops = ['--config', config, '--state-dir', path.join(directory, 'ops')];
    const engineDir = ['--config', config, '--state-dir', path.join(directory, 'engine')];
    const client = new Redis(MACHINE_REDIS_URL);
    const reader = await createKillSwitchStore(
      loadConfig({
        path: config,
        env: {},
        overrides: { stateDir: path.join(directory, 'reader') },
      }),
    );
    const reportOf = async (engineId: string) =>
      (await reader.listEngineReports().catch(() => [])).find(
        (entry: EngineReport) => entry.engineId === engineId,
      );
    const startEngine = () =>
      startCli([
        ...['run', ...engineDir, '--engine-id', 'e1', '--strategy', 'one-order-per-tick'],
        ...['--rate', '100', '--ticks', '0'],
      ]);
    let engine: ReturnType<typeof startCli> | undefined;
    try {
      expect((await runCli(['init', ...ops, '--reason', 'desk', '--by', 'ops'])).code).toBe(0);
      const lastNightsBackup = await backUpNamespace(client, namespace); // generation 1, SAFE
      await deleteNamespace(MACHINE_REDIS_URL, namespace); // the server restarted empty
      const reinit = await runCli(['init', ...ops, '--reason', 'store lost', '--by', 'ops']);
      expect(reinit.code).toBe(0); // generation 2

      engine = startEngine(); // deployed after the loss: its state dir sees generation 2 only
      await waitFor(
        'the engine trading on generation 2',
        async () => {
          const report = await reportOf('e1');
          return report?.enforcedState === 'SAFE' && Number(report.stats.ordersSubmitted) > 0
            ? true
            : undefined;
        },
        20_000,
      );
      const kill = await runCli(['kill', ...ops, '--reason', 'runaway', '--by', 'ops']);
      expect(kill.code).toBe(0); // ENGAGED, confirmed by e1
      const ordersAtKill = Number((await reportOf('e1'))?.stats.ordersSubmitted);

      await restoreNamespace(client, namespace, lastNightsBackup); // generation 1 again: the kill is gone
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const running = await reportOf('e1');
      // Bug: the running engine applied generation 1's SAFE and sends orders again.
      expect.soft(running?.enforcedState).toBe('ENGAGED');
      expect.soft(Number(running?.stats.ordersSubmitted) - ordersAtKill).toBe(0);

      engine.child.kill('SIGTERM');
      await engine.exited;
      engine = startEngine(); // the same state dir, whose mark saw generation 2 at the kill
      await waitFor('the restarted engine to report', () => reportOf('e1'), 20_000);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const restarted = await reportOf('e1');
      expect.soft(restarted?.enforcedState).toBe('ENGAGED');
      expect.soft(Number(restarted?.stats.ordersSubmitted)).toBe(0);
    } finally {
      engine?.child.kill('SIGKILL');
      await engine?.exited;
      await reader.close();
      client.disconnect();
      await deleteNamespace(MACHINE_REDIS_URL, namespace);
    }
  }, 90_000);

  // kill-switch.md: the latch "clears only through an operator ... nor does an older SAFE read after
  // the failure, whatever time it was stamped with". The backup's head is generation 1's `init`
  // record: another generation counts as "written after", so it releases the latch by itself.
  it('an engine latched on a wiped store is not released by restoring an older backup', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-review15-gen-latch-'));
    const namespace = uniqueNamespace('review15-gen-latch');
    const config = await writeFleetConfig(
      directory,
      { store: 'redis', url: MACHINE_REDIS_URL, namespace, pollIntervalMs: 100 },
      200,
    );
    const ops = ['--config', config, '--state-dir', path.join(directory, 'ops')];
    const engineDir = ['--config', config, '--state-dir', path.join(directory, 'engine')];
    const client = new Redis(MACHINE_REDIS_URL);
    const reader = await createKillSwitchStore(
      loadConfig({
        path: config,
        env: {},
        overrides: { stateDir: path.join(directory, 'reader') },
      }),
    );
    const reportOf = async () =>
      (await reader.listEngineReports().catch(() => [])).find(
        (entry: EngineReport) => entry.engineId === 'e2',
      );
    let engine: ReturnType<typeof startCli> | undefined;
    try {
      expect((await runCli(['init', ...ops, '--reason', 'desk', '--by', 'ops'])).code).toBe(0);
      const lastNightsBackup = await backUpNamespace(client, namespace); // generation 1, SAFE (init)
      await deleteNamespace(MACHINE_REDIS_URL, namespace);
      expect((await runCli(['init', ...ops, '--reason', 'lost', '--by', 'ops'])).code).toBe(0);
      engine = startCli([
        ...['run', ...engineDir, '--engine-id', 'e2', '--strategy', 'one-order-per-tick'],
        ...['--rate', '100', '--ticks', '0'],
      ]);
      await waitFor(
        'the engine trading on generation 2',
        async () => ((await reportOf())?.enforcedState === 'SAFE' ? true : undefined),
        20_000,
      );
      expect((await runCli(['kill', ...ops, '--reason', 'runaway', '--by', 'ops'])).code).toBe(0);
      await deleteNamespace(MACHINE_REDIS_URL, namespace); // wiped again: the engine latches
      await waitFor(
        'the engine to fail closed on the wiped store',
        async () => ((await reportOf())?.failClosed === true ? true : undefined),
        20_000,
      );
      const ordersAtLatch = Number((await reportOf())?.stats.ordersSubmitted);
      await restoreNamespace(client, namespace, lastNightsBackup); // nobody runs reset or init
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const report = await reportOf();
      expect.soft(report?.failClosed).toBe(true);
      expect.soft(report?.enforcedState).toBe('ENGAGED');
      expect.soft(Number(report?.stats.ordersSubmitted) - ordersAtLatch).toBe(0);
    } finally {
      engine?.child.kill('SIGKILL');
      await engine?.exited;
      await reader.close();
      client.disconnect();
      await deleteNamespace(MACHINE_REDIS_URL, namespace);
    }
  }, 90_000);
});

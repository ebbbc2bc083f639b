// Review 15 (issue 14, "a store that is behind is not the truth"): the high-water mark is what
// tells a restarted engine that the store went back. A mark file that cannot be parsed (a torn or
// zero-length write: marks are replaced without fsync) is warned about and ignored, so the engine
// takes a rolled-back store as the truth and trades after an acknowledged kill, then overwrites the
// mark with the rolled-back revision. Unreadable safety state fails closed everywhere else
// (runbook "The state is unreadable"); an unreadable mark now fails closed too, until a reset.
import { readdir, writeFile, mkdtemp } from 'node:fs/promises';
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

const available = await machineRedisAvailable('corrupt revision mark (redis)');

describe.skipIf(!available)('a state dir whose revision mark is corrupt', () => {
  it('does not let an engine trade on a store rolled back below what the dir saw', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-review15-mark-'));
    const namespace = uniqueNamespace('review15-mark');
    const config = await writeFleetConfig(
      directory,
      { store: 'redis', url: MACHINE_REDIS_URL, namespace, pollIntervalMs: 100 },
      200,
    );
    const stateDir = path.join(directory, 'state');
    const common = ['--config', config, '--state-dir', stateDir];
    const client = new Redis(MACHINE_REDIS_URL);
    const reader = await createKillSwitchStore(
      loadConfig({
        path: config,
        env: {},
        overrides: { stateDir: path.join(directory, 'reader') },
      }),
    );
    let engine: ReturnType<typeof startCli> | undefined;
    try {
      expect((await runCli(['init', ...common, '--reason', 'desk', '--by', 'ops'])).code).toBe(0);
      const backup = await backUpNamespace(client, namespace); // SAFE, revision 1
      expect((await runCli(['kill', ...common, '--reason', 'runaway', '--by', 'ops'])).code).toBe(
        0,
      );
      const marks = path.join(stateDir, 'store-marks');
      const files = (await readdir(marks)).filter((name) => name.endsWith('.json'));
      expect(files.length).toBeGreaterThan(0);
      // A torn replacement: the mark's file is there, its content is not.
      for (const file of files) await writeFile(path.join(marks, file), '');
      await restoreNamespace(client, namespace, backup); // the store forgets the kill

      engine = startCli([
        ...['run', ...common, '--engine-id', 'torn', '--strategy', 'one-order-per-tick'],
        ...['--rate', '100', '--ticks', '0'],
      ]);
      await waitFor(
        'the engine to report',
        async () =>
          (await reader.listEngineReports().catch(() => [])).find(
            (entry: EngineReport) => entry.engineId === 'torn',
          ),
        20_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const report = (await reader.listEngineReports()).find((entry) => entry.engineId === 'torn');
      expect(report?.enforcedState).toBe('ENGAGED');
      expect(report?.failClosed).toBe(true);
      expect(Number(report?.stats.ordersSubmitted)).toBe(0);
      const status = await runCli(['status', ...common]);
      expect(status.code).toBe(1);
      expect(status.stdout).toContain('cannot be told from an old copy');
      // The operator checked the store and accepts it as it is: a reset releases the engine.
      const reset = await runCli([
        ...['reset', ...common, '--reason', 'checked after a damaged mark', '--by', 'ops'],
      ]);
      expect(reset.code).toBe(0);
      await waitFor(
        'the engine released and trading',
        async () => {
          const latest = (await reader.listEngineReports().catch(() => [])).find(
            (entry) => entry.engineId === 'torn',
          );
          return latest?.enforcedState === 'SAFE' && Number(latest.stats.ordersSubmitted) > 0
            ? true
            : undefined;
        },
        20_000,
      );
    } finally {
      engine?.child.kill('SIGKILL');
      await engine?.exited;
      await reader.close();
      client.disconnect();
      await deleteNamespace(MACHINE_REDIS_URL, namespace);
    }
  }, 60_000);
});

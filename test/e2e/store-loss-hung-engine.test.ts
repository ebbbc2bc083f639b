// A store restarted empty loses every engine report. Engines that run report again within a
// heartbeat; a hung one cannot. Review 2 found `kill` on the re-created store exiting 0 ("no
// engines" or only the live ones) while a hung engine of this host was never named. Each engine
// now registers on its host, outside the store, and `kill` counts the registered engines the store
// does not list: the hung one is named (reason `unreported`) and the kill exits 1.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKillSwitchStore } from '../../src/adapters/index.js';
import { loadConfig } from '../../src/config/load-config.js';
import {
  runCli,
  startCli,
  waitFor,
  writeFleetConfig,
  type RunningCli,
} from '../support/cli-harness.js';
import { PrivateRedisServer, redisServerInstalled } from '../support/redis-server.js';

const available = redisServerInstalled('store loss with a hung engine (redis)');

describe.skipIf(!available)('a kill after the store restarted empty', () => {
  it('names the hung engine of this host that the empty store no longer lists, and exits 1', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-loss-hung-'));
    const registry = path.join(directory, 'registry');
    const env = { LIVEGATE_LOCAL_REGISTRY: registry };
    const server = await PrivateRedisServer.start();
    const config = await writeFleetConfig(
      directory,
      { store: 'redis', url: server.url, failClosedAfterMs: 1000, pollIntervalMs: 100 },
      200,
    );
    const stateDir = path.join(directory, 'state');
    const common = ['--config', config, '--state-dir', stateDir];
    const engines: RunningCli[] = [];
    const start = (engineId: string) => {
      const cli = startCli(
        [...['run', ...common, '--engine-id', engineId], '--strategy', 'one-order-per-tick'].concat(
          ['--rate', '100', '--ticks', '0'],
        ),
        env,
      );
      engines.push(cli);
      return cli;
    };
    const reader = await createKillSwitchStore(
      loadConfig({ path: config, env: {}, overrides: { stateDir } }),
    );
    try {
      expect((await runCli(['init', ...common, '--reason', 'desk', '--by', 'ops'], env)).code).toBe(
        0,
      );
      const hung = start('hung');
      start('live');
      await waitFor('both engines trading', async () => {
        const reports = await reader.listEngineReports().catch(() => []);
        return reports.filter((report) => Number(report.stats.ordersSubmitted) > 0).length === 2
          ? true
          : undefined;
      });
      hung.child.kill('SIGSTOP');
      await server.kill(); // restarted empty: every report and the state are gone
      await server.start();
      expect(
        (await runCli(['init', ...common, '--reason', 'rebuilt', '--by', 'ops'], env)).code,
      ).toBe(0);
      await waitFor('the live engine reporting again', async () => {
        const reports = await reader.listEngineReports().catch(() => []);
        return reports.some((report) => report.engineId === 'live') ? true : undefined;
      });
      const kill = await runCli(
        ['kill', ...common, '--reason', 'after the loss', '--timeout', '2000', '--json'],
        env,
      );
      console.log(`kill after the store loss: exit ${String(kill.code)}; ${kill.stderr.trim()}`);
      // The code before this exited 0: the hung engine was nobody's member any more.
      expect(kill.code).toBe(1);
      const output = JSON.parse(kill.stdout) as {
        confirmations: {
          confirmed: { engineId: string }[];
          missing: { engineId: string; pid: number; reason: string }[];
        };
      };
      expect(output.confirmations.confirmed.map((engine) => engine.engineId)).toEqual(['live']);
      expect(output.confirmations.missing).toMatchObject([
        { engineId: 'hung', pid: hung.child.pid, reason: 'unreported' },
      ]);
      expect(kill.stderr).toContain(`hung (pid ${String(hung.child.pid)})`);
    } finally {
      for (const cli of engines) {
        cli.child.kill('SIGCONT');
        cli.child.kill('SIGKILL');
      }
      await Promise.all(engines.map((cli) => cli.exited));
      await reader.close();
      await server.destroy();
    }
  }, 60_000);

  it("signals this host's engines when the store is down and cannot even list them", async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-store-down-'));
    const env = { LIVEGATE_LOCAL_REGISTRY: path.join(directory, 'registry') };
    const server = await PrivateRedisServer.start();
    const config = await writeFleetConfig(
      directory,
      { store: 'redis', url: server.url, failClosedAfterMs: 60000, pollIntervalMs: 100 },
      200,
    );
    const stateDir = path.join(directory, 'state');
    const common = ['--config', config, '--state-dir', stateDir];
    const engine = startCli(
      ['run', ...common, '--engine-id', 'alone', '--strategy', 'one-order-per-tick'].concat([
        '--rate',
        '100',
        '--ticks',
        '0',
      ]),
      env,
    );
    try {
      expect((await runCli(['init', ...common, '--reason', 'desk', '--by', 'ops'], env)).code).toBe(
        0,
      );
      await waitFor('the engine trading', () =>
        /"msg":"heartbeat"|ordersSubmitted/.test(engine.stdout() + engine.stderr())
          ? true
          : undefined,
      );
      await server.kill(); // down: nothing can be written or listed
      const kill = await runCli(
        ['kill', ...common, '--reason', 'store down', '--timeout', '1000'],
        env,
      );
      console.log(`kill with the store down: exit ${String(kill.code)}\n${kill.stdout}`);
      expect(kill.code).toBe(1);
      // The code before this listed the reports only, failed, and signalled nobody.
      expect(kill.stdout).toContain(`signalled  alone pid ${String(engine.child.pid)}`);
      await waitFor('the engine to take the signal', () =>
        engine.stdout().includes('SIGUSR2: engaging engine:alone') ? true : undefined,
      );
    } finally {
      engine.child.kill('SIGKILL');
      await engine.exited;
      await server.destroy();
    }
  }, 60_000);
});

// Issue 9, scenarios 5 and 11, through real `livegate` processes on real servers that a test kills
// and restarts EMPTY: an empty store never reads as SAFE, and one reset releases every engine that
// failed closed, whatever the store went through (generations make "newer" unambiguous).
import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKillSwitchStore } from '../../src/adapters/index.js';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { EngineReport } from '../../src/core/kill-switch-record.js';
import {
  runCli,
  startCli,
  waitFor,
  writeFleetConfig,
  type RunningCli,
} from '../support/cli-harness.js';
import { natsServerBinaryAvailable, PrivateNatsServer } from '../support/nats-server.js';
import { PrivateRedisServer, redisServerInstalled } from '../support/redis-server.js';

interface Backend {
  readonly name: string;
  readonly available: () => Promise<boolean> | boolean;
  /** Starts the store; returns its killSwitch config and a function that wipes it (a crash that lost everything). */
  readonly start: (directory: string) => Promise<{
    killSwitch: Record<string, string | number>;
    loseEverything: () => Promise<void>;
    describe?: () => string;
    dispose: () => Promise<void>;
  }>;
}

const BACKENDS: Backend[] = [
  {
    name: 'nats',
    available: () => natsServerBinaryAvailable('store loss test (nats)'),
    start: async () => {
      const server = await PrivateNatsServer.start();
      // Debian's nats-server 2.9.10 sometimes panics (nil pointer in jsMsgGetRequest) when reads
      // arrive while a client re-creates the bucket just after it restarted empty. Production runs
      // it under systemd with Restart=always; so does this test, so that it tests livegate.
      const supervision: { state: 'supervised' | 'paused' | 'done' } = { state: 'supervised' };
      let crashes = 0;
      const supervisor = (async () => {
        while (supervision.state !== 'done') {
          if (supervision.state === 'supervised' && server.pid === undefined) {
            crashes++;
            await server.start().catch(() => undefined);
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();
      return {
        killSwitch: { store: 'nats', url: server.url },
        loseEverything: async () => {
          supervision.state = 'paused';
          await server.kill();
          await rm(server.directory, { recursive: true, force: true });
          await server.start();
          supervision.state = 'supervised';
        },
        describe: () => `nats-server restarted after ${crashes} crash(es)`,
        dispose: async () => {
          supervision.state = 'done';
          await supervisor;
          await server.dispose();
        },
      };
    },
  },
  {
    name: 'redis',
    available: () => redisServerInstalled('store loss test (redis)'),
    start: async () => {
      // No persistence, like the machine's server: a restart comes back empty.
      const server = await PrivateRedisServer.start();
      return {
        killSwitch: { store: 'redis', url: server.url },
        loseEverything: async () => {
          await server.kill();
          await server.start();
        },
        dispose: () => server.destroy(),
      };
    },
  },
  {
    name: 'file',
    available: () => true,
    start: (directory) => {
      const stateDirectory = path.join(directory, 'killswitch-state');
      return Promise.resolve({
        killSwitch: { store: 'file', directory: stateDirectory },
        // Moved away first (atomic), then removed: engines keep writing into it meanwhile.
        loseEverything: async () => {
          const lost = `${stateDirectory}.lost`;
          await rename(stateDirectory, lost);
          await rm(lost, { recursive: true, force: true });
        },
        dispose: () => Promise.resolve(),
      });
    },
  },
];

const running: RunningCli[] = [];
afterAll(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
});

function writeConfig(directory: string, killSwitch: Record<string, string | number>) {
  const timing = { failClosedAfterMs: 1000, pollIntervalMs: 100, confirmTimeoutMs: 8000 };
  return writeFleetConfig(directory, { ...killSwitch, ...timing }, 200);
}

interface ChangeOutput {
  ok: boolean;
  record: { state: string; revision: number; generation?: string };
  confirmations: {
    confirmed: { engineId: string; enforcedState: string }[];
    missing: { engineId: string }[];
  };
}

describe.each(BACKENDS)('kill-switch state lost on the $name store', (backend) => {
  it('an empty store never reads as SAFE, and one reset releases every engine that failed closed', async (context) => {
    if (!(await backend.available())) {
      context.skip();
      return;
    }
    const directory = await mkdtemp(path.join(os.tmpdir(), `livegate-loss-${backend.name}-`));
    const store = await backend.start(directory);
    const config = await writeConfig(directory, store.killSwitch);
    const stateDir = path.join(directory, 'state');
    const common = ['--config', config, '--state-dir', stateDir];
    let reader = await createKillSwitchStore(
      loadConfig({ path: config, env: {}, overrides: { stateDir } }),
    );
    // Listed at most every 200 ms, as an operator's tooling would: each NATS listing is a consumer
    // the server creates, and a test polling every 10 ms would load the server it is testing.
    let listedAt = 0;
    let listed = new Map<string, EngineReport>();
    const reports = async (): Promise<Map<string, EngineReport>> => {
      if (performance.now() - listedAt < 200) return listed;
      listedAt = performance.now();
      const all = await reader.listEngineReports().catch(() => []);
      listed = new Map(all.map((report) => [report.engineId, report]));
      return listed;
    };
    /** waitFor, but a timeout says what every engine reported and printed: a failure must explain itself. */
    const waitOrExplain = async <T>(
      what: string,
      probe: () => Promise<T | undefined>,
      timeoutMs: number,
    ): Promise<T> =>
      waitFor(what, probe, timeoutMs).catch(async (error: unknown) => {
        const seen = [...(await reports()).values()].map(
          (report) =>
            `${report.engineId}: ${report.enforcedState} failClosed=${report.failClosed} orders=${String(report.stats.ordersSubmitted)}`,
        );
        const probe = await createKillSwitchStore(
          loadConfig({ path: config, env: {}, overrides: { stateDir } }),
        );
        const fresh = await probe
          .publishEngineReport({
            engineId: 'probe',
            host: 'h',
            pid: 1,
            startedAt: new Date().toISOString(),
            reportedAt: Date.now(),
            observedRevision: 0,
            observedAt: Date.now(),
            enforcedState: 'SAFE',
            failClosed: false,
            stats: {},
          })
          .then(
            () => 'ok',
            (e: unknown) => String(e),
          );
        await probe.close();
        const printed = running.map(
          (cli) => `exit ${String(cli.child.exitCode)} ${cli.stderr().slice(-600)}`,
        );
        throw new Error(
          `${String(error)}; server: ${store.describe?.() ?? ''}; fresh client publish: ${fresh}; reports: ${seen.join('; ') || 'none'}; engines: ${printed.join(' | ')}`,
        );
      });
    const start = (engineId: string, extra: string[] = []) => {
      const cli = startCli([
        'run',
        ...common,
        '--engine-id',
        engineId,
        '--strategy',
        'one-order-per-tick',
        '--rate',
        '100',
        '--ticks',
        '0',
        ...extra,
      ]);
      running.push(cli);
      return cli;
    };
    try {
      if (backend.name !== 'file') {
        // Scenario 5: a shared store with no state. The engine fails closed and says how to init.
        const early = start('early');
        const failed = await waitOrExplain(
          'the early engine to fail closed',
          async () => {
            const report = (await reports()).get('early');
            return report?.failClosed === true ? report : undefined;
          },
          30_000,
        );
        expect(failed.enforcedState).toBe('ENGAGED');
        await waitFor('its stderr', () =>
          early.stderr().includes('livegate init') ? true : undefined,
        );
        expect(early.stderr()).toContain('FAIL-CLOSED (state-missing)');
      }
      const init = await runCli([...['init', ...common], '--reason', 'new desk', '--by', 'ops']);
      expect(init.stderr).toBe('');
      expect(init.code).toBe(0);
      start('plain');
      start('fx-1', ['--desk', 'fx']);
      const engines = backend.name === 'file' ? ['fx-1', 'plain'] : ['early', 'fx-1', 'plain'];
      await waitOrExplain(
        'every engine trading (init releases the one that waited)',
        async () => {
          const all = await reports();
          return engines.every(
            (id) =>
              all.get(id)?.enforcedState === 'SAFE' &&
              Number(all.get(id)?.stats.ordersSubmitted) > 0,
          )
            ? true
            : undefined;
        },
        30_000,
      );

      // The store loses everything: killed and restarted empty (or the directory deleted).
      await store.loseEverything();
      // A fresh client, as an operator's CLI would be: this test watches, it is not under test.
      listedAt = 0;
      await reader.close();
      reader = await createKillSwitchStore(
        loadConfig({ path: config, env: {}, overrides: { stateDir } }),
      );
      await waitOrExplain(
        'every engine to fail closed',
        async () => {
          const all = await reports();
          return engines.every((id) => all.get(id)?.failClosed === true) ? true : undefined;
        },
        30_000,
      );
      if (backend.name !== 'file') {
        // A new engine on the empty shared store does not come up SAFE and trade. (A fresh file
        // state dir may: that is README's first command, so the file store creates state on start.)
        start('newcomer');
        const newcomer = await waitOrExplain(
          'the newcomer to report',
          async () => (await reports()).get('newcomer'),
          30_000,
        );
        expect(newcomer.enforcedState).toBe('ENGAGED');
        expect(newcomer.failClosed).toBe(true);
        const status = await runCli(['status', ...common]);
        expect(status.code).toBe(1);
        // This state dir's high-water mark knows the state existed: "gone", not "never created".
        expect(status.stdout + status.stderr).toMatch(
          /ERR_STATE_MISSING|revision \d+ was seen but the state is gone/,
        );
      }

      // One reset, global, releases all of them: their own engine and desk scopes latched too.
      const reset = await runCli([
        'reset',
        ...common,
        '--reason',
        'store rebuilt',
        '--by',
        'ops',
        '--json',
      ]);
      expect(reset.stderr).toBe('');
      expect(reset.code).toBe(0);
      const released = JSON.parse(reset.stdout) as ChangeOutput;
      expect(released.record).toMatchObject({ state: 'SAFE' });
      expect(released.confirmations.missing).toEqual([]);
      const expected = backend.name === 'file' ? engines : [...engines, 'newcomer'];
      expect(released.confirmations.confirmed.map((engine) => engine.engineId).sort()).toEqual(
        expected.sort(),
      );
      for (const engine of released.confirmations.confirmed) {
        expect(engine.enforcedState).toBe('SAFE');
      }
    } finally {
      for (const cli of running.splice(0)) {
        cli.child.kill('SIGTERM');
        await cli.exited;
      }
      await reader.close();
      await store.dispose();
    }
    if (backend.name === 'file') return;
    // The newcomer never ordered before the reset released it: its first order follows a SAFE change.
    const journal = await readJournal(path.join(stateDir, 'journal', 'newcomer'));
    const firstOrder = journal.events.findIndex((event) => event.type === 'OrderSubmitted');
    const release = journal.events.findIndex(
      (event) => event.type === 'KillSwitchChanged' && event.enforcedState === 'SAFE',
    );
    expect(release).toBeGreaterThanOrEqual(0);
    if (firstOrder >= 0) expect(firstOrder).toBeGreaterThan(release);
    expect(await readdir(path.join(stateDir, 'journal'))).toContain('newcomer');
  }, 150_000);
});

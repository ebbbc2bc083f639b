// The fleet test: three real `livegate run` processes share one kill-switch store (NATS, Redis, and
// the file store for comparison); `livegate kill` from a fourth process stops them all; then 100
// engage/reset cycles measure acknowledged-to-blocked latency per engine, and every journal is
// checked for an order submitted while that engine enforced ENGAGED.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKillSwitchStore } from '../../src/adapters/index.js';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { KillSwitchStore } from '../../src/core/ports.js';
import { awaitConfirmations } from '../../src/killswitch/confirmations.js';
import { engageDecision, resetDecision } from '../../src/killswitch/transitions.js';
import {
  runCli,
  startCli,
  waitFor,
  writeFleetConfig,
  type RunningCli,
} from '../support/cli-harness.js';
import { MACHINE_NATS_URL, machineNatsAvailable } from '../support/nats-server.js';
import {
  deleteNamespace,
  MACHINE_REDIS_URL,
  machineRedisAvailable,
} from '../support/redis-server.js';

const ENGINES = ['fleet-a', 'fleet-b', 'fleet-c'];
const CYCLES = 100;

interface Backend {
  readonly name: string;
  readonly available: () => Promise<boolean>;
  readonly store: (namespace: string) => Record<string, unknown>;
  readonly cleanup?: (namespace: string) => Promise<void>;
}

const BACKENDS: Backend[] = [
  {
    name: 'nats',
    available: () => machineNatsAvailable('fleet test (nats)'),
    store: (namespace) => ({ store: 'nats', url: MACHINE_NATS_URL, namespace }),
  },
  {
    name: 'redis',
    available: () => machineRedisAvailable('fleet test (redis)'),
    store: (namespace) => ({ store: 'redis', url: MACHINE_REDIS_URL, namespace }),
    cleanup: (namespace) => deleteNamespace(MACHINE_REDIS_URL, namespace),
  },
  { name: 'file', available: () => Promise.resolve(true), store: () => ({ store: 'file' }) },
];

const running: RunningCli[] = [];
afterAll(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
});

function percentile(sorted: readonly number[], quantile: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] ?? NaN;
}

function writeConfig(directory: string, killSwitch: Record<string, unknown>) {
  return writeFleetConfig(directory, { ...killSwitch, confirmTimeoutMs: 10_000 }, 250);
}

describe.each(BACKENDS)('fleet of three engines on the $name store', (backend) => {
  it(`stops all three from a fourth process, then ${CYCLES} engage/reset cycles: no order after ENGAGED`, async (context) => {
    if (!(await backend.available())) {
      context.skip();
      return;
    }
    const namespace = `fleet${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
    const directory = await mkdtemp(path.join(os.tmpdir(), `livegate-fleet-${backend.name}-`));
    const config = await writeConfig(directory, backend.store(namespace));
    const stateDir = path.join(directory, 'state');
    const common = ['--config', config, '--state-dir', stateDir];
    // A shared store's state is created by an operator, never by an engine.
    const init = await runCli(['init', ...common, '--reason', 'fleet test', '--by', 'tester']);
    expect(init.stderr).toBe('');
    for (const engineId of ENGINES) {
      running.push(
        startCli([
          'run',
          ...common,
          '--engine-id',
          engineId,
          '--strategy',
          'one-order-per-tick',
          '--rate',
          '500',
          '--ticks',
          '0',
        ]),
      );
    }
    const store: KillSwitchStore = await createKillSwitchStore(
      loadConfig({ path: config, env: {}, overrides: { stateDir } }),
    );
    try {
      await waitFor(
        'three engines ordering',
        async () => {
          const reports = await store.listEngineReports();
          const ordering = reports.filter((report) => Number(report.stats.ordersSubmitted) > 0);
          return ordering.length === ENGINES.length ? true : undefined;
        },
        30_000,
      );

      // A fourth process: the CLI every operator has.
      const kill = await runCli(['kill', ...common, '--reason', 'fleet drill', '--json']);
      expect(kill.stderr).toBe('');
      expect(kill.code).toBe(0);
      const killed = JSON.parse(kill.stdout) as {
        confirmations: { confirmed: { engineId: string }[] };
      };
      expect(killed.confirmations.confirmed.map((engine) => engine.engineId).sort()).toEqual(
        ENGINES,
      );
      const reset = await runCli(['reset', ...common, '--reason', 'drill over', '--by', 'tester']);
      expect(reset.code).toBe(0);

      // The cycles, written by this (fourth) process through its own client of the store.
      const latencies = new Map<string, number[]>(ENGINES.map((engineId) => [engineId, []]));
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        for (const decision of [
          engageDecision(`cycle ${cycle}`, 'fleet-test', 'manual'),
          resetDecision(`cycle ${cycle} over`, 'fleet-test'),
        ]) {
          const issuedAt = Date.now();
          const { record } = await store.update(decision);
          const acknowledgedAt = Date.now();
          const result = await awaitConfirmations(store, record.revision, {
            timeoutMs: 10_000,
            expectedState: record.state,
            issuedAt,
            acknowledgedAt,
          });
          expect(result.missing).toEqual([]);
          if (record.state !== 'ENGAGED') continue;
          for (const engine of result.confirmed)
            latencies.get(engine.engineId)?.push(engine.latencyMs);
        }
      }

      const lines = [
        `fleet on ${backend.name}: acknowledged-to-blocked over ${CYCLES} engages, ms`,
      ];
      for (const [engineId, values] of latencies) {
        expect(values).toHaveLength(CYCLES);
        const sorted = [...values].sort((a, b) => a - b);
        const figures = [0.5, 0.99].map((q) => percentile(sorted, q).toFixed(2));
        lines.push(
          `  ${engineId}: p50 ${figures[0]} p99 ${figures[1]} max ${sorted.at(-1)?.toFixed(2)} (negative: applied before the write was acknowledged)`,
        );
      }
      console.log(lines.join('\n'));
    } finally {
      for (const cli of running.splice(0)) {
        cli.child.kill('SIGTERM');
        await cli.exited;
      }
      await store.close();
      await backend.cleanup?.(namespace);
    }

    // Every engine's journal: nothing submitted between its ENGAGED and the next SAFE.
    for (const engineId of ENGINES) {
      const { events } = await readJournal(path.join(stateDir, 'journal', engineId));
      let engaged = false;
      let engagedWindows = 0;
      for (const event of events) {
        if (event.type === 'KillSwitchChanged') {
          if (event.enforcedState === 'ENGAGED' && !engaged) engagedWindows++;
          engaged = event.enforcedState === 'ENGAGED';
        }
        if (event.type === 'OrderSubmitted' && engaged) {
          throw new Error(
            `${engineId} submitted an order while enforcing ENGAGED: ${JSON.stringify(event)}`,
          );
        }
      }
      expect(engagedWindows).toBeGreaterThanOrEqual(CYCLES + 1);
    }
  });
});

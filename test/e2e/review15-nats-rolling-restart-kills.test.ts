// Review 15 (issue 14 (2), runbook "Restart the NATS cluster, one node at a time"): the rolling
// restart with the operator acting at the worst moments of every node's turn, not once: a kill
// issued as each node is being stopped and a reset issued as it starts again. Promise: zero
// fail-closed engines, every kill written and confirmed by every engine (exit 0), every reset too.
import { afterEach, describe, expect, it } from 'vitest';
import { NatsKillSwitchStore } from '../../src/adapters/stores/nats-kill-switch-store.js';
import type { EngineReport } from '../../src/core/kill-switch-record.js';
import { NatsCluster } from '../support/nats-cluster.js';
import { natsServerBinaryAvailable } from '../support/nats-server.js';
import {
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
  writeFleetConfig,
  type RunningCli,
} from '../support/cli-harness.js';

const available = await natsServerBinaryAvailable('NATS rolling restart with kills');
const ENGINES = ['r1', 'r2', 'r3'];
const BUCKET_STREAM = 'KV_livegate_killswitch';

describe.skipIf(!available)('a rolling restart of a three-node NATS cluster', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('takes a kill as every node stops and a reset as it starts: all exit 0, nobody latches', async () => {
    const cluster = await NatsCluster.start();
    cleanups.push(() => cluster.dispose());
    const init = await runCli(['init', '--store', cluster.url, '--replicas', '3', '--reason', 'r']);
    expect(init.code, init.stderr).toBe(0);
    const directory = await scratchDirectory();
    const config = await writeFleetConfig(directory, {}, 200);
    const engines: RunningCli[] = ENGINES.map((engineId) =>
      startCli([
        ...['run', '--config', config, '--state-dir', directory, '--store', cluster.url],
        ...['--engine-id', engineId, '--strategy', 'one-order-per-tick', '--rate', '50'],
        ...['--ticks', '0', '--log-level', 'warn'],
      ]),
    );
    cleanups.push(async () => {
      for (const engine of engines) engine.child.kill('SIGKILL');
      await Promise.all(engines.map((engine) => engine.exited));
    });
    const observer = new NatsKillSwitchStore({
      servers: cluster.nodes.map((node) => node.url),
      requestTimeoutMs: 500,
    });
    cleanups.push(() => observer.close());
    const reports = (): Promise<Map<string, EngineReport>> =>
      waitFor(
        'a listing of the engine reports',
        async () => {
          const all = await observer.listEngineReports().catch(() => []);
          return all.length >= ENGINES.length
            ? new Map(all.map((report) => [report.engineId, report]))
            : undefined;
        },
        20_000,
      );
    const ordersOf = (all: Map<string, EngineReport>) =>
      ENGINES.map((engineId) => Number(all.get(engineId)?.stats.ordersSubmitted ?? -1));
    await waitFor(
      'every engine to trade',
      async () => (ordersOf(await reports()).every((orders) => orders > 2) ? true : undefined),
      20_000,
    );
    const stateDir = await scratchDirectory();
    const operator = (kind: string) =>
      runCli([
        ...[kind, '--store', cluster.url, '--state-dir', stateDir, '--reason', `${kind} drill`],
        ...['--by', 'ops', '--timeout', '20000', '--json'],
      ]);
    const figures: string[] = [];
    for (const node of cluster.nodes) {
      if ((await cluster.leaderOf(BUCKET_STREAM)) === node) await cluster.stepDown(BUCKET_STREAM);
      const killStarted = performance.now();
      const [kill] = await Promise.all([operator('kill'), node.process.stop()]);
      figures.push(`${node.name} kill ${(performance.now() - killStarted).toFixed(0)} ms`);
      expect(kill.code, `${node.name} kill: ${kill.stderr}`).toBe(0);
      const resetStarted = performance.now();
      const [reset] = await Promise.all([operator('reset'), node.start()]);
      figures.push(`${node.name} reset ${(performance.now() - resetStarted).toFixed(0)} ms`);
      expect(reset.code, `${node.name} reset: ${reset.stderr}`).toBe(0);
      await cluster.waitForReplicas(BUCKET_STREAM);
    }
    const before = await reports();
    const after = await waitFor(
      'every engine trading after the rolling restart',
      async () => {
        const now = await reports();
        return ordersOf(now).every((orders, index) => orders > ordersOf(before)[index]! + 5)
          ? now
          : undefined;
      },
      20_000,
    );
    console.info(`rolling restart with kills and resets: ${figures.join(', ')}`);
    for (const report of after.values()) {
      expect(report.failClosed, `${report.engineId} latched`).toBe(false);
      expect(report.enforcedState).toBe('SAFE');
    }
  }, 180_000);
});

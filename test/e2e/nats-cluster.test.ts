// Issue 14 (1, 3, 6): a three-node NATS cluster of the test's own, three trading `livegate run`
// engines and the CLI, all given every node's URL. Losing the node that leads the bucket's stream
// must not halt the fleet: no engine latches, orders wait for a fresh state (the lease), trading
// resumes after the election, and a kill issued during the election is retried until it is
// written and then confirmed by every engine.
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

const available = await natsServerBinaryAvailable('NATS cluster tests');
const ENGINES = ['c1', 'c2', 'c3'];
const BUCKET_STREAM = 'KV_livegate_killswitch';

interface ChangeOutput {
  readonly ok: boolean;
  readonly confirmations: {
    readonly confirmed: readonly { engineId: string }[];
    readonly missing: readonly { engineId: string }[];
  };
}

describe.skipIf(!available)('a fleet on a three-node NATS cluster', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function fleet() {
    const cluster = await NatsCluster.start();
    cleanups.push(() => cluster.dispose());
    const init = await runCli([
      'init',
      '--store',
      cluster.url,
      '--replicas',
      '3',
      '--reason',
      'cluster drill',
    ]);
    expect(init.code, init.stderr).toBe(0);
    const directory = await scratchDirectory();
    const config = await writeFleetConfig(directory, {}, 200);
    const engines: RunningCli[] = ENGINES.map((engineId) =>
      startCli([
        'run',
        '--config',
        config,
        '--state-dir',
        directory,
        '--store',
        cluster.url,
        '--engine-id',
        engineId,
        '--strategy',
        'one-order-per-tick',
        '--rate',
        '50',
        '--ticks',
        '0',
        '--log-level',
        'warn',
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
    /** Every engine's report, once a listing succeeds (the observer rides out elections too). */
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
    return { cluster, engines, reports, ordersOf, config, directory };
  }

  it('rides through the loss of the stream leader: nobody latches, orders wait for a fresh state, trading resumes, and a kill issued during the election is written and confirmed by all', async () => {
    const { cluster, engines, reports, ordersOf } = await fleet();

    // Phase 1: the leader's node is SIGKILLed; nobody kills.
    const leader = await cluster.leaderOf(BUCKET_STREAM);
    const before = await reports();
    const lostAt = performance.now();
    await leader.process.kill();
    const resumed = await waitFor(
      'trading to resume on every engine after the election',
      async () => {
        const now = await reports();
        const orders = ordersOf(now);
        const denied = ENGINES.map((id) => Number(now.get(id)?.stats.ordersDenied ?? 0));
        const beforeDenied = ENGINES.map((id) => Number(before.get(id)?.stats.ordersDenied ?? 0));
        // Denied while the state was unknown (the lease), then sending again.
        const ok = ENGINES.every(
          (_, index) =>
            denied[index]! > beforeDenied[index]! && orders[index]! > ordersOf(before)[index]! + 5,
        );
        return ok ? now : undefined;
      },
      30_000,
    );
    const recoveryMs = performance.now() - lostAt;
    for (const report of resumed.values()) {
      expect(report.failClosed, `${report.engineId} latched`).toBe(false);
      expect(report.enforcedState).toBe('SAFE');
    }
    console.info(
      `leader ${leader.name} SIGKILLed -> every engine trading again after ${recoveryMs.toFixed(0)} ms, none latched`,
    );
    await leader.start();
    await cluster.waitForJetStream();

    // Phase 2: the new leader is lost, and an operator kills at once, during the election.
    const second = await cluster.leaderOf(BUCKET_STREAM);
    await second.process.kill();
    const killStarted = performance.now();
    const kill = await runCli([
      'kill',
      '--store',
      cluster.url,
      '--reason',
      'kill during an election',
      '--timeout',
      '20000',
      '--json',
    ]);
    const killMs = performance.now() - killStarted;
    expect(kill.code, kill.stderr).toBe(0);
    const output = JSON.parse(kill.stdout) as ChangeOutput;
    expect(output.confirmations.confirmed.map((engine) => engine.engineId).sort()).toEqual(ENGINES);
    expect(output.confirmations.missing).toEqual([]);
    console.info(
      `kill issued as leader ${second.name} died: written and confirmed by 3/3 after ${killMs.toFixed(0)} ms; retries: ${kill.stderr.split('\n').filter((line) => line.includes('waiting for')).length}`,
    );
    const engaged = await reports();
    for (const report of engaged.values()) {
      expect(report.enforcedState).toBe('ENGAGED');
      expect(report.failClosed, `${report.engineId} latched: ${JSON.stringify(report.stats)}`).toBe(
        false,
      );
    }
    // Nothing new after the kill: the orders counters stand still.
    const frozen = ordersOf(engaged);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(ordersOf(await reports())).toEqual(frozen);
    for (const engine of engines) expect(engine.child.exitCode).toBeNull();
  }, 120_000);

  it('survives a rolling restart (step the leader off a node, SIGTERM it, start it, wait until it caught up) with zero latched engines, while an operator kills and resets', async () => {
    const { cluster, engines, reports, ordersOf } = await fleet();
    const denied = (all: Map<string, EngineReport>) =>
      ENGINES.map((engineId) => Number(all.get(engineId)?.stats.ordersDenied ?? 0));
    const before = await reports();
    const started = performance.now();
    let killed = false;
    for (const node of cluster.nodes) {
      // The runbook: hand the bucket's stream to another node first, so no election waits on a
      // dead leader; then a clean stop, a start, and the replica caught up before the next node.
      if ((await cluster.leaderOf(BUCKET_STREAM)) === node) await cluster.stepDown(BUCKET_STREAM);
      await node.process.stop();
      if (!killed) {
        // The operator kills while a node is down, and resets once it is back.
        const kill = await runCli(['kill', '--store', cluster.url, '--reason', 'during a restart']);
        expect(kill.code, kill.stderr).toBe(0);
        killed = true;
        await node.start();
        await cluster.waitForReplicas(BUCKET_STREAM);
        const reset = await runCli([
          'reset',
          '--store',
          cluster.url,
          '--reason',
          'restart done',
          '--by',
          'ops',
        ]);
        expect(reset.code, reset.stderr).toBe(0);
        continue;
      }
      await node.start();
      await cluster.waitForReplicas(BUCKET_STREAM);
    }
    const restartMs = performance.now() - started;
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
    for (const report of after.values()) {
      expect(report.failClosed, `${report.engineId} latched`).toBe(false);
      expect(report.enforcedState).toBe('SAFE');
    }
    for (const engine of engines) expect(engine.child.exitCode).toBeNull();
    console.info(
      `rolling restart of 3 nodes with a kill and a reset: ${restartMs.toFixed(0)} ms, 0 latched; orders denied per engine (the kill included): ${denied(
        after,
      )
        .map((count, index) => count - denied(before)[index]!)
        .join(', ')}`,
    );
  }, 120_000);
});

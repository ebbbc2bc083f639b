// Review 15 (issue 14 (4) and (5)): a Sentinel failover to a replica that missed the last kill
// (replicasToAcknowledge 0, the replica frozen while the kill was written, the primary SIGKILLed).
// Promise (fleet.md): an unacknowledged write can be lost by a failover; engines whose state dir
// saw it fail closed on the promoted replica (the store went backwards), `status` says so with
// exit 1, and a kill and a reset from the operator's state dir still work (exit 0).
import { afterEach, describe, expect, it } from 'vitest';
import { RedisKillSwitchStore } from '../../src/adapters/stores/redis-kill-switch-store.js';
import type { EngineReport } from '../../src/core/kill-switch-record.js';
import {
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
  writeFleetConfig,
  type RunningCli,
} from '../support/cli-harness.js';
import { ask, RedisSentinelGroup, redisServerInstalled } from '../support/redis-sentinel-group.js';

const installed = redisServerInstalled('Sentinel failover losing a kill');
const ENGINES = ['f1', 'f2'];

describe.skipIf(!installed)('a Sentinel failover to a replica that missed the kill', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('engines that saw the kill stay stopped; status, kill and reset behave', async () => {
    const group = await RedisSentinelGroup.start();
    cleanups.push(() => group.dispose());
    const directory = await scratchDirectory('livegate-review15-sentinel-');
    const config = await writeFleetConfig(
      directory,
      { store: 'redis', url: group.url, pollIntervalMs: 100 },
      200,
    );
    const ops = ['--config', config, '--state-dir', `${directory}/ops`];
    expect((await runCli(['init', ...ops, '--reason', 'drill', '--by', 'ops'])).code).toBe(0);
    const engines: RunningCli[] = ENGINES.map((engineId) =>
      startCli([
        ...['run', '--config', config, '--state-dir', `${directory}/engines`],
        ...['--engine-id', engineId, '--strategy', 'one-order-per-tick', '--rate', '50'],
        ...['--ticks', '0', '--log-level', 'warn'],
      ]),
    );
    cleanups.push(async () => {
      for (const engine of engines) engine.child.kill('SIGKILL');
      await Promise.all(engines.map((engine) => engine.exited));
    });
    const observer = new RedisKillSwitchStore({ url: group.url });
    cleanups.push(() => observer.close());
    const reports = () =>
      waitFor(
        'engine reports',
        async () => {
          const all = await observer.listEngineReports().catch(() => []);
          return all.length >= ENGINES.length
            ? new Map(all.map((report: EngineReport) => [report.engineId, report]))
            : undefined;
        },
        30_000,
      );
    const ordersOf = (all: Map<string, EngineReport>) =>
      ENGINES.map((engineId) => Number(all.get(engineId)?.stats.ordersSubmitted ?? -1));
    await waitFor(
      'trading',
      async () => (ordersOf(await reports()).every((orders) => orders > 2) ? true : undefined),
      30_000,
    );
    const [primary, replica] = group.nodes;
    // Frozen, and its link cut: the kill cannot reach it even through the kernel's socket buffer.
    replica!.process.freeze();
    await ask(primary!.port, 'CLIENT', 'KILL', 'TYPE', 'replica');
    const kill = await runCli(['kill', ...ops, '--reason', 'lost by failover', '--by', 'ops']);
    expect(kill.code, kill.stderr).toBe(0);
    const atKill = ordersOf(await reports());
    const failoverStarted = performance.now();
    await primary!.process.kill();
    replica!.process.thaw();
    await group.waitForNewPrimary(primary!);
    const promotedMs = performance.now() - failoverStarted;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const after = await reports();
    console.info(
      `promoted after ${promotedMs.toFixed(0)} ms; orders since the kill: ${ordersOf(after)
        .map((n, i) => n - atKill[i]!)
        .join(',')}; ` +
        `states: ${[...after.values()].map((r) => `${r.engineId} ${r.enforcedState} failClosed=${r.failClosed}`).join(',')}`,
    );
    expect(ordersOf(after)).toEqual(atKill);
    for (const report of after.values()) expect(report.enforcedState).toBe('ENGAGED');

    const status = await runCli(['status', ...ops]);
    console.info(
      `status exit ${status.code}: ${status.stdout.split('\n').slice(0, 3).join(' | ')}`,
    );
    expect(status.code).toBe(1);
    const again = await runCli([...['kill', ...ops, '--reason', 'again', '--by', 'ops'], '--json']);
    console.info(`kill again exit ${again.code}: ${again.stderr.trim().slice(0, 300)}`);
    expect(again.code, again.stderr).toBe(0);
    const reset = await runCli(['reset', ...ops, '--reason', 'failover checked', '--by', 'ops']);
    console.info(`reset exit ${reset.code}: ${reset.stderr.trim().slice(0, 300)}`);
    expect(reset.code, reset.stderr).toBe(0);
    await waitFor(
      'trading after the reset',
      async () => {
        const now = await reports();
        return ordersOf(now).every((orders, index) => orders > atKill[index]! + 5)
          ? true
          : undefined;
      },
      20_000,
    );
  }, 180_000);
});

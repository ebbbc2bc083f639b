// Issue 14 (5): two trading `livegate run` engines on a Redis Sentinel group of the test's own
// (redis+sentinel://, one primary, one replica, three sentinels). SIGKILLing the primary must not
// halt them: they follow the promoted replica, none latches (the failover is shorter than
// failClosedAfterMs), orders wait for a fresh state, and a kill a replica acknowledged (WAIT) just
// before the next primary is SIGKILLed is on the primary promoted after it.
import { afterEach, describe, expect, it } from 'vitest';
import { RedisKillSwitchStore } from '../../src/adapters/stores/redis-kill-switch-store.js';
import type { EngineReport } from '../../src/core/kill-switch-record.js';
import { engageDecision } from '../../src/killswitch/transitions.js';
import {
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
  writeFleetConfig,
  type RunningCli,
} from '../support/cli-harness.js';
import {
  ask,
  RedisSentinelGroup,
  redisSentinelInstalled,
} from '../support/redis-sentinel-group.js';

const installed = redisSentinelInstalled('Redis Sentinel failover tests');
const ENGINES = ['s1', 's2'];
/** The redis store's default: a failover must finish well inside it for nobody to latch. */
const FAIL_CLOSED_AFTER_MS = 15_000;

describe.skipIf(!installed)('a fleet on a Redis Sentinel group', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function fleet() {
    const group = await RedisSentinelGroup.start();
    cleanups.push(() => group.dispose());
    const directory = await scratchDirectory('livegate-sentinel-');
    const killSwitch = {
      store: 'redis',
      url: group.url,
      redis: { replicasToAcknowledge: 1, replicaTimeoutMs: 500 },
    };
    const config = await writeFleetConfig(directory, killSwitch, 200);
    const init = await runCli(['init', '--config', config, '--reason', 'sentinel drill']);
    expect(init.code, init.stderr).toBe(0);
    const engines: RunningCli[] = ENGINES.map((engineId) =>
      startCli([
        ...['run', '--config', config, '--state-dir', directory, '--engine-id', engineId],
        ...[
          '--strategy',
          'one-order-per-tick',
          '--rate',
          '50',
          '--ticks',
          '0',
          '--log-level',
          'warn',
        ],
      ]),
    );
    cleanups.push(async () => {
      for (const engine of engines) engine.child.kill('SIGKILL');
      await Promise.all(engines.map((engine) => engine.exited));
    });
    const observer = new RedisKillSwitchStore({ url: group.url, requestTimeoutMs: 500 });
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
    const count = (all: Map<string, EngineReport>, stat: 'ordersSubmitted' | 'ordersDenied') =>
      ENGINES.map((engineId) => Number(all.get(engineId)?.stats[stat] ?? -1));
    await waitFor(
      'every engine to trade',
      async () =>
        count(await reports(), 'ordersSubmitted').every((n) => n > 2) ? true : undefined,
      20_000,
    );
    return { group, engines, observer, reports, count };
  }

  it('follows the promoted replica while trading: nobody latches, orders wait for a fresh state, and a kill a replica acknowledged survives the next failover', async () => {
    const { group, engines, observer, reports, count } = await fleet();

    // Phase 1: the primary is SIGKILLed while both engines trade; nobody kills.
    const first = await group.primaryNamedBySentinels();
    expect(first?.name).toBe('primary');
    const before = await reports();
    const killedAt = performance.now();
    await first!.process.kill();
    const promoted = group.waitForNewPrimary(first!).then((node) => ({
      node,
      afterMs: performance.now() - killedAt,
    }));
    const readingAgainMs = await waitFor(
      'the observer to read the state again',
      async () =>
        (await observer.read().catch(() => undefined)) ? performance.now() - killedAt : undefined,
      30_000,
    );
    const resumed = await waitFor(
      'trading to resume on every engine after the failover',
      async () => {
        const now = await reports();
        const ok = ENGINES.every(
          (_, index) =>
            count(now, 'ordersDenied')[index]! > count(before, 'ordersDenied')[index]! &&
            count(now, 'ordersSubmitted')[index]! > count(before, 'ordersSubmitted')[index]! + 5,
        );
        return ok ? now : undefined;
      },
      30_000,
    );
    const tradingAgainMs = performance.now() - killedAt;
    const second = await promoted;
    expect(second.node.name).toBe('replica');
    for (const report of resumed.values()) {
      expect(report.failClosed, `${report.engineId} latched`).toBe(false);
      expect(report.enforcedState).toBe('SAFE');
    }
    expect(second.afterMs).toBeLessThan(FAIL_CLOSED_AFTER_MS);
    console.info(
      `[redis sentinel] primary SIGKILLed -> replica promoted after ${second.afterMs.toFixed(0)} ms, ` +
        `a client reading again after ${readingAgainMs.toFixed(0)} ms, ` +
        `both engines trading again after ${tradingAgainMs.toFixed(0)} ms; none latched`,
    );

    // Phase 2: the lost node returns as a replica of the new primary; a kill is acknowledged by it
    // (WAIT), and the primary that took the kill is SIGKILLed at once.
    await first!.startAsReplicaOf(second.node);
    await group.waitForReplicaLink(second.node, first!);
    const writer = new RedisKillSwitchStore({
      url: group.url,
      requestTimeoutMs: 1_000,
      replicasToAcknowledge: 1,
      replicaTimeoutMs: 500,
    });
    cleanups.push(() => writer.close());
    const started = performance.now();
    const { record } = await writer.update(
      engageDecision('acknowledged, then failover', 'ops', 'manual'),
    );
    const acknowledgedMs = performance.now() - started;
    await second.node.process.kill();
    const third = await group.waitForNewPrimary(second.node);
    expect(third).toBe(first);
    const stored = await ask(third.port, 'GET', observer.keys.state);
    expect(JSON.parse(String(stored))).toMatchObject({
      revision: record.revision,
      state: 'ENGAGED',
    });
    await waitFor(
      'every engine to enforce the kill, read from the third primary',
      async () => {
        const now = await reports();
        return [...now.values()].every((report) => report.enforcedState === 'ENGAGED')
          ? now
          : undefined;
      },
      30_000,
    );
    const engaged = await reports();
    for (const report of engaged.values())
      expect(report.failClosed, `${report.engineId} latched`).toBe(false);
    expect((await observer.read())?.revision).toBe(record.revision);
    const frozen = count(engaged, 'ordersSubmitted');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(count(await reports(), 'ordersSubmitted')).toEqual(frozen);
    for (const engine of engines) expect(engine.child.exitCode).toBeNull();
    console.info(
      `[redis sentinel] kill acknowledged by 1 replica in ${acknowledgedMs.toFixed(1)} ms, primary SIGKILLed at once: ` +
        `revision ${record.revision} ENGAGED on the promoted node; engines ENGAGED, none latched`,
    );
  }, 180_000);
});

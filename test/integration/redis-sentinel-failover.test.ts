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
import { ask, RedisSentinelGroup, redisServerInstalled } from '../support/redis-sentinel-group.js';

const installed = redisServerInstalled('Redis Sentinel failover tests');
const ENGINES = ['s1', 's2'];
/** The redis store's default: a failover must finish well inside it for nobody to latch. */
const FAIL_CLOSED_AFTER_MS = 15_000;

describe.skipIf(!installed)('a fleet on a Redis Sentinel group', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function fleet(replicasToAcknowledge = 1, downAfterMs?: number) {
    const group = await RedisSentinelGroup.start(downAfterMs === undefined ? {} : { downAfterMs });
    cleanups.push(() => group.dispose());
    const directory = await scratchDirectory('livegate-sentinel-');
    const killSwitch = {
      store: 'redis',
      url: group.url,
      redis: { replicasToAcknowledge, replicaTimeoutMs: 500 },
    };
    const config = await writeFleetConfig(directory, killSwitch, 200);
    // The test's own state dir: the revision marks of other tests' stores must not leak in.
    const init = await runCli([
      ...['init', '--config', config, '--state-dir', directory, '--reason', 'sentinel drill'],
    ]);
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
    // What the last listing saw, so a timeout says why (an error, or which reports were missing).
    let lastListing = 'nothing yet';
    const reports = (timeoutMs = 20_000): Promise<Map<string, EngineReport>> =>
      waitFor(
        'a listing of the engine reports',
        async () => {
          // An engine that died will never report again: say so now, with what it printed.
          const dead = engines.findIndex((engine) => engine.child.exitCode !== null);
          if (dead >= 0) {
            const engine = engines[dead]!;
            const output = engine.stderr();
            throw new Error(`engine ${ENGINES[dead]} exited ${engine.child.exitCode}:\n${output}`);
          }
          const all = await observer.listEngineReports().catch((error: unknown) => {
            lastListing = `${performance.now().toFixed(0)} ms: ${String(error)}`;
            return [];
          });
          if (all.length >= ENGINES.length) return new Map(all.map((r) => [r.engineId, r]));
          if (all.length > 0) lastListing = `only ${all.map((r) => r.engineId).join(', ')}`;
          return undefined;
        },
        timeoutMs,
      ).catch((error: unknown) => {
        const engineOutput = engines.map((e) => e.stderr().slice(-1_000)).join('\n---\n');
        throw new Error(`${String(error)}; last listing: ${lastListing}\n${engineOutput}`);
      });
    const count = (all: Map<string, EngineReport>, stat: 'ordersSubmitted' | 'ordersDenied') =>
      ENGINES.map((engineId) => Number(all.get(engineId)?.stats[stat] ?? -1));
    // Two engines starting on a machine busy with other tests can take a while: a generous bound
    // here, so a slow start is not mistaken for a store that cannot be listed.
    await waitFor(
      'every engine to trade',
      async () =>
        count(await reports(60_000), 'ordersSubmitted').every((n) => n > 2) ? true : undefined,
      60_000,
    );
    /** `livegate status --json` through the sentinels, as an operator would run it. */
    const status = async () => {
      const started = performance.now();
      const result = await runCli([
        'status',
        '--config',
        config,
        '--state-dir',
        directory,
        '--json',
      ]);
      return { ...result, tookMs: performance.now() - started };
    };
    return { group, engines, observer, reports, count, status, config, directory };
  }

  it('follows the promoted replica while trading: nobody latches, orders wait for a fresh state, and a kill a replica acknowledged survives the next failover', async () => {
    const { group, engines, observer, reports, count, status } = await fleet();

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
    // An operator asking while no primary answers gets an answer, not a hang: the store's state
    // or why it cannot be read, within its request timeout (a fresh process each time).
    const duringFailover = await status();
    expect(duringFailover.code, duringFailover.stderr).not.toBeNull();
    expect(duringFailover.tookMs).toBeLessThan(10_000);
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
    const afterFailover = await status();
    expect(afterFailover.code, afterFailover.stderr).toBe(0);
    const shown = JSON.parse(afterFailover.stdout) as {
      state: string;
      engines: { engineId: string; condition: string }[];
    };
    expect(shown.state).toBe('SAFE');
    expect(shown.engines.map((engine) => [engine.engineId, engine.condition])).toEqual(
      ENGINES.map((engineId) => [engineId, 'live']),
    );
    console.info(
      `[redis sentinel] livegate status during the failover: exit ${duringFailover.code} after ${duringFailover.tookMs.toFixed(0)} ms; after it: exit 0 after ${afterFailover.tookMs.toFixed(0)} ms`,
    );
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
    const onThird = await status();
    expect(onThird.code, onThird.stderr).toBe(0);
    expect(JSON.parse(onThird.stdout)).toMatchObject({
      state: 'ENGAGED',
      record: { revision: record.revision },
    });
    const frozen = count(engaged, 'ordersSubmitted');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(count(await reports(), 'ordersSubmitted')).toEqual(frozen);
    for (const engine of engines) expect(engine.child.exitCode).toBeNull();
    console.info(
      `[redis sentinel] kill acknowledged by 1 replica in ${acknowledgedMs.toFixed(1)} ms, primary SIGKILLed at once: ` +
        `revision ${record.revision} ENGAGED on the promoted node; engines ENGAGED, none latched`,
    );
  }, 180_000);

  // Without replica acknowledgement: once the replica is promoted there is no replica left, so a
  // kill requiring one would be refused as not durable (docs/fleet.md).
  it('retries a kill issued while no primary answers until the promoted replica takes it, and every engine enforces it without latching', async () => {
    // A primary silent for 4 s counts as down: the kill, a new process, must start while there is
    // no primary even on a busy machine (a start slower than the failover never sees the outage).
    const { group, engines, observer, reports, count, config, directory } = await fleet(0, 4_000);
    const first = await group.primaryNamedBySentinels();
    expect(first?.name).toBe('primary');
    const killedAt = performance.now();
    await first!.process.kill();
    const kill = await runCli([
      ...['kill', '--config', config, '--state-dir', directory, '--by', 'ops'],
      ...['--reason', 'during the failover', '--timeout', '20000'],
    ]);
    const writtenMs = performance.now() - killedAt;
    expect(kill.code, kill.stderr).toBe(0);
    expect(kill.stderr).toMatch(/waiting for redis\+sentinel:.* to take the kill/);
    const promoted = await group.waitForNewPrimary(first!);
    const stored = JSON.parse(String(await ask(promoted.port, 'GET', observer.keys.state))) as {
      state: string;
      reason: string;
    };
    expect(stored).toMatchObject({ state: 'ENGAGED', reason: 'during the failover' });
    const engaged = await waitFor(
      'every engine to enforce the kill',
      async () => {
        const now = await reports();
        return [...now.values()].every((report) => report.enforcedState === 'ENGAGED')
          ? now
          : undefined;
      },
      30_000,
    );
    for (const report of engaged.values())
      expect(report.failClosed, `${report.engineId} latched`).toBe(false);
    const frozen = count(engaged, 'ordersSubmitted');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(count(await reports(), 'ordersSubmitted')).toEqual(frozen);
    for (const engine of engines) expect(engine.child.exitCode).toBeNull();
    console.info(
      `[redis sentinel] kill started as the primary was SIGKILLed: retried, written and confirmed by both engines after ${writtenMs.toFixed(0)} ms; none latched`,
    );
  }, 180_000);
});

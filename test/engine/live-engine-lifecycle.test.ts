import { describe, expect, it } from 'vitest';
import { PaperBroker } from '../../src/adapters/brokers/paper-broker.js';
import { isLivegateError } from '../../src/core/errors.js';
import type { Tick } from '../../src/core/types.js';
import { LiveEngine } from '../../src/engine/live-engine.js';
import {
  collect,
  marketOrder,
  openKillSwitch,
  ScriptedStrategy,
  tick,
  ticks,
} from './engine-fixtures.js';

describe('LiveEngine lifecycle', () => {
  it('catches a throwing strategy, counts it, and engages after N consecutive errors', async () => {
    const { killSwitch } = await openKillSwitch();
    const strategy = new ScriptedStrategy((_tick, _context, call) => {
      if (call === 2 || call >= 4) throw new Error(`bad tick ${call}`);
      return marketOrder('buy', 1);
    });
    const engine = new LiveEngine({
      killSwitch,
      strategy,
      broker: new PaperBroker(),
      maxConsecutiveErrors: 3,
    });
    const seen = collect((listener) => engine.on(listener));
    const summary = await engine.run(ticks(10));
    // Ticks 1 and 3 order; 2 fails alone; 4, 5, 6 fail in a row and engage; 7..10 are blocked.
    expect(summary.ordersSubmitted).toBe(2);
    expect(summary.strategyErrors).toBe(4);
    expect(summary.ticksBlocked).toBe(4);
    expect(killSwitch.record).toMatchObject({ state: 'ENGAGED', trigger: 'error', by: engine.id });
    expect(killSwitch.record?.reason).toContain('bad tick 6');
    const failures = seen.ofType('StrategyFailed');
    expect(failures.map((event) => event.consecutiveErrors)).toEqual([1, 1, 2, 3]);
    expect(failures[0]?.tick).toEqual(tick(2));
  });

  it('catches a throwing broker and engages after N consecutive broker errors', async () => {
    const { killSwitch } = await openKillSwitch();
    const broker = new PaperBroker();
    broker.submit = () => {
      throw new Error('venue down');
    };
    const engine = new LiveEngine({
      killSwitch,
      strategy: new ScriptedStrategy(() => marketOrder('buy', 1)),
      broker,
      maxConsecutiveErrors: 2,
    });
    const summary = await engine.run(ticks(5));
    expect(summary.brokerErrors).toBe(2);
    expect(summary.ordersSubmitted).toBe(0);
    expect(summary.ticksBlocked).toBe(3);
    expect(killSwitch.record?.trigger).toBe('error');
  });

  it('ends with ERR_FEED_FAILED when the feed fails, leaving the kill-switch state untouched', async () => {
    const { killSwitch } = await openKillSwitch();
    const engine = new LiveEngine({
      killSwitch,
      strategy: new ScriptedStrategy(() => marketOrder('buy', 1)),
      broker: new PaperBroker(),
    });
    const seen = collect((listener) => engine.on(listener));
    async function* failing(): AsyncGenerator<Tick> {
      await Promise.resolve();
      yield tick(1);
      yield tick(2);
      throw new Error('socket reset');
    }
    const error: unknown = await engine.run(failing()).catch((caught: unknown) => caught);
    expect(isLivegateError(error, 'ERR_FEED_FAILED')).toBe(true);
    expect((error as Error).message).toContain('socket reset');
    expect(killSwitch.record).toMatchObject({ revision: 1, state: 'SAFE' });
    expect(seen.ofType('RunStopped')[0]).toMatchObject({ reason: 'feed-failed' });
    expect(seen.ofType('RunStopped')[0]?.summary.ordersSubmitted).toBe(2);
  });

  it('stops after the current tick when stop() is called, and cancels resting orders', async () => {
    const { killSwitch } = await openKillSwitch();
    const engine = new LiveEngine({
      killSwitch,
      strategy: new ScriptedStrategy((current, _context, call) => {
        if (call === 3) engine.stop();
        return { symbol: current.symbol, side: 'buy', quantity: 1, type: 'limit', price: 0.5 };
      }),
      broker: new PaperBroker(),
    });
    const seen = collect((listener) => engine.on(listener));
    const summary = await engine.run(ticks(100));
    expect(summary.ticks).toBe(3);
    expect(summary.ordersSubmitted).toBe(3);
    expect(seen.ofType('OrdersCancelled')[0]).toMatchObject({ count: 3, reason: 'shutdown' });
    expect(seen.ofType('RunStopped')[0]?.reason).toBe('stopped');
  });

  it('records tick-to-order latency for every submitted order', async () => {
    const { killSwitch } = await openKillSwitch();
    const engine = new LiveEngine({
      killSwitch,
      strategy: new ScriptedStrategy(() => marketOrder('buy', 1)),
      broker: new PaperBroker(),
    });
    const seen = collect((listener) => engine.on(listener));
    const summary = await engine.run([ticks(250)]);
    expect(summary.latencyNs.count).toBe(250);
    expect(summary.latencyNs.max).toBeGreaterThan(0);
    expect(summary.latencyNs.p50).toBeLessThanOrEqual(summary.latencyNs.p99);
    expect(seen.ofType('OrderSubmitted').every((event) => event.latencyNs >= 0)).toBe(true);
    // Paper market orders fill inside submit(); the journal order is still submit, then fill.
    const order = seen.events.filter(
      (event) => event.type === 'OrderSubmitted' || event.type === 'OrderFilled',
    );
    expect(order.slice(0, 2).map((event) => event.type)).toEqual(['OrderSubmitted', 'OrderFilled']);
  });

  it('emits heartbeats and publishes a report confirming the revision it enforces', async () => {
    const { store, killSwitch } = await openKillSwitch();
    const engine = new LiveEngine({
      killSwitch,
      strategy: new ScriptedStrategy(() => null),
      broker: new PaperBroker(),
      engineId: 'engine-hb',
      heartbeatIntervalMs: 20,
    });
    const seen = collect((listener) => engine.on(listener));
    const reports: number[] = [];
    async function* slow(): AsyncGenerator<Tick> {
      for (let index = 1; index <= 6; index++) {
        yield tick(index);
        await new Promise((resolve) => setTimeout(resolve, 15));
        const report = (await store.listEngineReports()).find(
          (entry) => entry.engineId === 'engine-hb',
        );
        if (report !== undefined) reports.push(report.observedRevision);
      }
    }
    await engine.run(slow());
    expect(seen.ofType('Heartbeat').length).toBeGreaterThanOrEqual(2);
    expect(seen.ofType('Heartbeat')[0]?.report).toMatchObject({
      engineId: 'engine-hb',
      enforcedState: 'SAFE',
    });
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.every((revision) => revision === 1)).toBe(true);
    // A stopped engine withdraws its report so `livegate kill` does not wait for it.
    expect(await store.listEngineReports()).toEqual([]);
  });
});

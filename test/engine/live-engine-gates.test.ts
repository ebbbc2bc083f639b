import { describe, expect, it } from 'vitest';
import { PaperBroker } from '../../src/adapters/brokers/paper-broker.js';
import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import { systemClock } from '../../src/core/clock.js';
import type { Order } from '../../src/core/types.js';
import { LiveEngine } from '../../src/engine/live-engine.js';
import { KillSwitch } from '../../src/killswitch/kill-switch.js';
import { LimitsFollower } from '../../src/risk/limits/limits-follower.js';
import {
  collect,
  marketOrder,
  openKillSwitch,
  ScriptedStrategy,
  ticks,
} from './engine-fixtures.js';
import { LaterFillingBroker } from './later-filling-broker.js';

describe('LiveEngine gates', () => {
  it('gate 1 blocks every tick while ENGAGED, counting and emitting each one', async () => {
    const { killSwitch } = await openKillSwitch();
    await killSwitch.engage('stop', 'test');
    const strategy = new ScriptedStrategy(() => marketOrder('buy', 1));
    const engine = new LiveEngine({ killSwitch, strategy, broker: new PaperBroker() });
    const seen = collect((listener) => engine.on(listener));
    const summary = await engine.run(ticks(7));
    expect(strategy.calls).toBe(0);
    expect(summary.ticksBlocked).toBe(7);
    expect(summary.ordersSubmitted).toBe(0);
    expect(summary.blocks).toEqual({ 'gate1:KILL_SWITCH_ENGAGED': 7 });
    expect(seen.ofType('TickBlocked')).toHaveLength(7);
  });

  it('gate 2 catches an engage made inside the strategy during the same tick', async () => {
    const { killSwitch } = await openKillSwitch();
    const strategy = new ScriptedStrategy((_tick, context, call) => {
      if (call === 3) void context.engageKillSwitch('strategy saw something bad');
      return marketOrder('buy', 1);
    });
    const engine = new LiveEngine({ killSwitch, strategy, broker: new PaperBroker() });
    const seen = collect((listener) => engine.on(listener));
    const summary = await engine.run(ticks(5));
    expect(summary.ordersSubmitted).toBe(2);
    const denied = seen.ofType('OrderDenied');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ gate: 2, code: 'KILL_SWITCH_ENGAGED' });
    expect(summary.ticksBlocked).toBe(2);
    expect(killSwitch.record?.trigger).toBe('strategy');
  });

  it('gate 2 catches an engage that lands while an async strategy is awaiting', async () => {
    const { killSwitch } = await openKillSwitch();
    const strategy = new ScriptedStrategy(async (_tick, _context, call) => {
      if (call === 2) void killSwitch.engage('operator', 'ops');
      await Promise.resolve();
      return marketOrder('buy', 1);
    });
    const engine = new LiveEngine({ killSwitch, strategy, broker: new PaperBroker() });
    const summary = await engine.run(ticks(3));
    expect(summary.ordersSubmitted).toBe(1);
    expect(summary.blocks['gate2:KILL_SWITCH_ENGAGED']).toBe(1);
  });

  it('an engage made by a broker callback during one submit stops the rest of the tick', async () => {
    const { killSwitch } = await openKillSwitch();
    const submitted: Order[] = [];
    const broker = new PaperBroker();
    const original = broker.submit.bind(broker);
    broker.submit = (order: Order) => {
      submitted.push(order);
      original(order);
      // A broker-side event (margin call, venue halt) engages the switch inside the callback.
      void killSwitch.engage('broker reported a halt', 'broker');
    };
    const strategy = new ScriptedStrategy(() => [marketOrder('buy', 1), marketOrder('buy', 2)]);
    const engine = new LiveEngine({ killSwitch, strategy, broker });
    const seen = collect((listener) => engine.on(listener));
    const summary = await engine.run(ticks(1));
    expect(submitted).toHaveLength(1);
    expect(summary.ordersSubmitted).toBe(1);
    // Each signal goes through gates 2 and 3 before the next is judged, so gate 2 sees it first.
    expect(seen.ofType('OrderDenied')[0]).toMatchObject({
      gate: 2,
      code: 'KILL_SWITCH_ENGAGED',
      quantity: 2,
    });
  });

  it('an engage from a fill listener stops the next order of the tick', async () => {
    const { killSwitch } = await openKillSwitch();
    const strategy = new ScriptedStrategy(() => [marketOrder('buy', 1), marketOrder('buy', 1)]);
    const engine = new LiveEngine({ killSwitch, strategy, broker: new PaperBroker() });
    engine.on((event) => {
      if (event.type === 'OrderFilled') void killSwitch.engage('first fill was enough', 'listener');
    });
    const summary = await engine.run(ticks(1));
    expect(summary.ordersSubmitted).toBe(1);
    expect(summary.blocks).toEqual({ 'gate2:KILL_SWITCH_ENGAGED': 1 });
  });

  it('REDUCING lets only orders that shrink a position through, never a flip', async () => {
    const { killSwitch } = await openKillSwitch();
    // Fills come later, between ticks: every REDUCING decision below is made with orders working.
    const broker = new LaterFillingBroker();
    const plan = [
      marketOrder('buy', 3),
      marketOrder('buy', 1), // grows: denied once REDUCING
      marketOrder('sell', 2), // shrinks 3 -> 1 if it fills: passes, and works
      marketOrder('sell', 2), // 3 - 2 working - 2 = -1, a flip if both fill: denied
      marketOrder('sell', 1), // 3 - 2 working - 1 = 0: passes
      marketOrder('sell', 1), // from flat once all fill: grows exposure, denied
    ];
    const strategy = new ScriptedStrategy(async (_tick, _context, call) => {
      if (call === 2) {
        broker.fillAll();
        await killSwitch.reduce('cut', 'ops');
      }
      if (call === 6) broker.fillAll();
      return plan[call - 1] ?? null;
    });
    const engine = new LiveEngine({ killSwitch, strategy, broker });
    const seen = collect((listener) => engine.on(listener));
    const summary = await engine.run(ticks(plan.length));
    expect(summary.ordersSubmitted).toBe(3);
    expect(engine.position('EURUSD')).toBe(0);
    expect(
      seen
        .ofType('OrderDenied')
        .map((event) => [event.gate, event.code, event.side, event.quantity]),
    ).toEqual([
      [2, 'KILL_SWITCH_REDUCING', 'buy', 1],
      [2, 'KILL_SWITCH_REDUCING', 'sell', 2],
      [2, 'KILL_SWITCH_REDUCING', 'sell', 1],
    ]);
  });

  it('denies malformed signals at gate 2 with a reason instead of passing them on', async () => {
    const { killSwitch } = await openKillSwitch();
    const strategy = new ScriptedStrategy(() => [
      { symbol: 'EURUSD', side: 'buy', quantity: Number.NaN, type: 'market' },
      { symbol: 'EURUSD', side: 'buy', quantity: 1, type: 'limit' },
    ]);
    const engine = new LiveEngine({ killSwitch, strategy, broker: new PaperBroker() });
    const seen = collect((listener) => engine.on(listener));
    const summary = await engine.run(ticks(1));
    expect(summary.ordersSubmitted).toBe(0);
    expect(seen.ofType('OrderDenied').map((event) => event.details?.problem)).toEqual([
      'quantity must be a positive finite number',
      'limit price must be a positive finite number',
    ]);
  });

  it('applies a change written by another switch on the same store before the next tick', async () => {
    const { store, killSwitch } = await openKillSwitch();
    const operator = await KillSwitch.open(store, { actor: 'cli' });
    const strategy = new ScriptedStrategy((_tick, _context, call) => {
      if (call === 2) void operator.engage('from the desk', 'ops');
      return marketOrder('buy', 1);
    });
    const engine = new LiveEngine({ killSwitch, strategy, broker: new PaperBroker() });
    async function* spaced() {
      for (const next of ticks(4)) {
        yield next;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
    const summary = await engine.run(spaced());
    expect(summary.ordersSubmitted).toBe(1);
    expect(summary.ticksBlocked).toBe(2);
    killSwitch.close();
  });
});

describe('LiveEngine gate 3 and the live limits lease', () => {
  it('denies LIMITS_STATE_STALE after a strategy blocks the loop past the limits lease, and re-reads', async () => {
    const { killSwitch } = await openKillSwitch();
    const limitsStore = new MemoryKillSwitchStore().limits;
    const follower = new LimitsFollower({
      store: limitsStore,
      engineId: 'e',
      clock: systemClock,
      pollIntervalMs: 10,
      leaseMs: 30,
      configLimits: { preTrade: {} },
      apply: () => undefined,
      emit: () => undefined,
      applied: () => undefined,
    });
    await follower.load();
    follower.start();
    const strategy = new ScriptedStrategy((_tick, _context, call) => {
      if (call === 3) {
        // A real block: no timer runs, no read of the limits is issued.
        const until = systemClock.monotonic() + 120;
        while (systemClock.monotonic() < until) {
          // busy
        }
      }
      return marketOrder('buy', 1);
    });
    const engine = new LiveEngine({
      killSwitch,
      strategy,
      broker: new PaperBroker(),
      limitsLease: follower,
    });
    const seen = collect((listener) => engine.on(listener));
    const summary = await engine.run(ticks(4));
    // The order returned after the block is denied; the denial asked for a read, which (a memory
    // store answers at once) renewed the lease before the next tick, without the poll timer.
    expect(summary.ordersSubmitted).toBe(3);
    const denied = seen.ofType('OrderDenied');
    expect(denied.map((event) => [event.gate, event.code])).toEqual([[3, 'LIMITS_STATE_STALE']]);
    await expect
      .poll(() => systemClock.monotonic() <= follower.leaseExpiresAt, { timeout: 5_000 })
      .toBe(true);
    follower.stop();
    killSwitch.close();
  });
});

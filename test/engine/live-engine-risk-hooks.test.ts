import { describe, expect, it } from 'vitest';
import { PaperBroker } from '../../src/adapters/brokers/paper-broker.js';
import type { LivegateEvent } from '../../src/core/events.js';
import type { Signal, Tick } from '../../src/core/types.js';
import { LiveEngine } from '../../src/engine/live-engine.js';
import type { PreTradeDenial, PreTradeRisk } from '../../src/risk/risk-ports.js';
import {
  collect,
  marketOrder,
  openKillSwitch,
  ScriptedStrategy,
  ticks,
} from './engine-fixtures.js';

/** Denies any order above a quantity, and records what it saw. */
class QuantityCap implements PreTradeRisk {
  readonly ticksSeen: Tick[] = [];
  readonly events: LivegateEvent['type'][] = [];
  constructor(private readonly cap: number) {}
  observeTick(tick: Tick): void {
    this.ticksSeen.push(tick);
  }
  check(signal: Signal, position: number): PreTradeDenial | null {
    if (signal.quantity <= this.cap) return null;
    return {
      code: 'MAX_ORDER_QUANTITY_EXCEEDED',
      details: { limit: this.cap, actual: signal.quantity, position },
    };
  }
  onEvent(event: LivegateEvent): void {
    this.events.push(event.type);
  }
}

describe('LiveEngine risk hooks', () => {
  it('runs the pre-trade chain at gate 2 and turns its denial into an OrderDenied with the numbers', async () => {
    const { killSwitch } = await openKillSwitch();
    const risk = new QuantityCap(10);
    const strategy = new ScriptedStrategy((_tick, _context, call) =>
      marketOrder('buy', call === 2 ? 1000 : 1),
    );
    const engine = new LiveEngine({
      killSwitch,
      strategy,
      broker: new PaperBroker(),
      preTradeRisk: risk,
    });
    const seen = collect((listener) => engine.on(listener));
    const summary = await engine.run(ticks(3));
    expect(summary.ordersSubmitted).toBe(2);
    expect(seen.ofType('OrderDenied')[0]).toMatchObject({
      gate: 2,
      code: 'MAX_ORDER_QUANTITY_EXCEEDED',
      details: { limit: 10, actual: 1000, position: 1 },
    });
    expect(risk.ticksSeen).toHaveLength(3);
    expect(risk.events).toContain('OrderFilled');
  });

  it('feeds every tick to tick observers, even while ENGAGED', async () => {
    const { killSwitch } = await openKillSwitch();
    await killSwitch.engage('closed', 'test');
    const seenTicks: Tick[] = [];
    const engine = new LiveEngine({
      killSwitch,
      strategy: new ScriptedStrategy(() => null),
      broker: new PaperBroker(),
      tickObservers: [{ observeTick: (tick) => seenTicks.push(tick) }],
    });
    await engine.run(ticks(4));
    expect(seenTicks).toHaveLength(4);
  });

  it('cancels every open order the moment the switch becomes ENGAGED', async () => {
    const { killSwitch } = await openKillSwitch();
    const broker = new PaperBroker();
    const strategy = new ScriptedStrategy((tick, _context, call) => {
      if (call <= 3)
        return { symbol: tick.symbol, side: 'buy', quantity: 1, type: 'limit', price: 0.5 };
      if (call === 4) void killSwitch.engage('stop', 'ops');
      return null;
    });
    const engine = new LiveEngine({
      killSwitch,
      strategy,
      broker,
      cancelOpenOrdersOnShutdown: false,
    });
    const seen = collect((listener) => engine.on(listener));
    await engine.run(ticks(6));
    expect(seen.ofType('OrdersCancelled')).toEqual([
      expect.objectContaining({ count: 3, reason: 'kill-switch-engaged' }),
    ]);
    expect(broker.openOrders()).toHaveLength(0);
  });

  it('flattens positions through the gates: allowed in REDUCING, denied once ENGAGED', async () => {
    const { killSwitch } = await openKillSwitch();
    const strategy = new ScriptedStrategy((tick, _context, call) =>
      call === 2 ? [marketOrder('buy', 5, 'EURUSD'), marketOrder('sell', 2, 'GBPUSD')] : null,
    );
    const engine = new LiveEngine({ killSwitch, strategy, broker: new PaperBroker() });
    const flattened: number[] = [];
    let triggered = false;
    engine.on((event) => {
      if (event.type === 'OrderFilled' && event.fill.symbol === 'GBPUSD' && !triggered) {
        triggered = true;
        void killSwitch.reduce('risk says reduce', 'risk-monitor', 'risk:test').then(() => {
          flattened.push(engine.flatten('risk:test'));
        });
      }
    });
    async function* spaced() {
      for (const [index, next] of ticks(3, 'EURUSD').entries()) {
        yield next;
        yield { ...ticks(1, 'GBPUSD')[0]!, time: next.time + index };
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    await engine.run(spaced());
    expect(flattened).toEqual([2]);
    expect(engine.position('EURUSD')).toBe(0);
    expect(engine.position('GBPUSD')).toBe(0);
    await killSwitch.engage('done', 'ops');
    expect(engine.flatten('again')).toBe(0);
  });
});

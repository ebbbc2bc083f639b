// Issue 10, scenario 2: position, gross exposure, REDUCING and open-order checks count every
// working order, against a broker that acknowledges now and fills later, in parts.
import { describe, expect, it } from 'vitest';
import type { Signal } from '../../src/core/types.js';
import { LiveEngine } from '../../src/engine/live-engine.js';
import type { KillSwitch } from '../../src/killswitch/kill-switch.js';
import type { PreTradeLimits } from '../../src/risk/pre-trade/pre-trade-limits.js';
import { PreTradeRiskEngine } from '../../src/risk/pre-trade/pre-trade-risk-engine.js';
import type { StrategyContext } from '../../src/core/ports.js';
import {
  collect,
  marketOrder,
  openKillSwitch,
  ScriptedStrategy,
  ticks,
} from './engine-fixtures.js';
import { LaterFillingBroker } from './later-filling-broker.js';

type Step = (
  broker: LaterFillingBroker,
  killSwitch: KillSwitch,
  context: StrategyContext,
) => Signal | readonly Signal[] | null | Promise<Signal | readonly Signal[] | null>;

/** Runs one tick per step; each step may fill, cancel or expire orders first (between ticks). */
async function runSteps(steps: readonly Step[], limits: PreTradeLimits = {}) {
  const { killSwitch } = await openKillSwitch();
  const broker = new LaterFillingBroker();
  const strategy = new ScriptedStrategy(
    (_tick, context, call) => steps[call - 1]?.(broker, killSwitch, context) ?? null,
  );
  const engine = new LiveEngine({
    killSwitch,
    strategy,
    broker,
    preTradeRisk: new PreTradeRiskEngine(limits),
    cancelOpenOrdersOnShutdown: false,
  });
  const seen = collect((listener) => engine.on(listener));
  await engine.run(ticks(steps.length));
  const denials = () =>
    seen.ofType('OrderDenied').map((event) => [event.gate, event.code, event.side, event.quantity]);
  return { engine, broker, killSwitch, seen, denials };
}

function limitBuy(quantity: number): Signal {
  return { symbol: 'EURUSD', side: 'buy', quantity, type: 'limit', price: 1.1 };
}

const buy10 = () => marketOrder('buy', 10);

describe('Working orders are counted (issue 10, scenario 2)', () => {
  it('maxPosition 10 with five resting buys of 10 lets one through, never a position of 50', async () => {
    const { engine, broker, denials } = await runSteps([buy10, buy10, buy10, buy10, buy10], {
      defaults: { maxPosition: 10 },
    });
    expect(broker.submitted).toHaveLength(1);
    broker.fillAll();
    expect(engine.position('EURUSD')).toBe(10);
    expect(denials()).toEqual(Array(4).fill([2, 'MAX_POSITION_EXCEEDED', 'buy', 10]));
  });

  it('maxPosition 10 with five buys of 10 in one tick lets one through, never a position of 50', async () => {
    const { engine, broker, denials } = await runSteps(
      [() => [buy10(), buy10(), buy10(), buy10(), buy10()]],
      { defaults: { maxPosition: 10 } },
    );
    expect(broker.submitted).toHaveLength(1);
    broker.fillAll();
    expect(engine.position('EURUSD')).toBe(10);
    expect(denials()).toHaveLength(4);
  });

  it('a partially filled order counts its remaining quantity until it is cancelled', async () => {
    const { engine, broker, denials } = await runSteps(
      [
        () => limitBuy(10),
        (venue) => {
          venue.fill(venue.workingIds()[0]!, 4); // position 4, 6 still working
          return limitBuy(6);
        },
        async (venue) => {
          await venue.cancel(venue.workingIds()[0]!);
          return limitBuy(6);
        },
      ],
      { defaults: { maxPosition: 10 } },
    );
    expect(denials()).toEqual([[2, 'MAX_POSITION_EXCEEDED', 'buy', 6]]);
    broker.fillAll();
    expect(engine.position('EURUSD')).toBe(10);
  });

  it('an order the venue expires or rejects after acknowledging it leaves the book', async () => {
    const { broker, denials } = await runSteps(
      [
        () => limitBuy(10),
        (venue) => {
          venue.expire(venue.workingIds()[0]!);
          return limitBuy(10);
        },
        (venue) => {
          venue.reject(venue.workingIds()[0]!);
          return limitBuy(10);
        },
      ],
      { defaults: { maxPosition: 10 } },
    );
    expect(denials()).toEqual([]);
    expect(broker.submitted).toHaveLength(3);
  });

  it('gross exposure counts working orders at their worst case', async () => {
    // Mid ≈ 1.1: one resting buy of 10 is 11 of exposure, a second would make 22.
    const { broker, denials } = await runSteps([buy10, buy10], { maxGrossExposure: 15 });
    expect(broker.submitted).toHaveLength(1);
    expect(denials()).toEqual([[2, 'MAX_GROSS_EXPOSURE_EXCEEDED', 'buy', 10]]);
  });

  it('REDUCING with three sells of 10 against a long 10 lets one through, never a flip', async () => {
    const { engine, broker, denials } = await runSteps([
      buy10,
      async (venue, killSwitch) => {
        venue.fillAll();
        await killSwitch.reduce('cut', 'ops');
        return [marketOrder('sell', 10), marketOrder('sell', 10), marketOrder('sell', 10)];
      },
    ]);
    expect(denials()).toEqual(Array(2).fill([2, 'KILL_SWITCH_REDUCING', 'sell', 10]));
    broker.fillAll();
    expect(engine.position('EURUSD')).toBe(0);
  });

  it('REDUCING with working orders on both sides: a resting buy makes no room, a resting sell takes some', async () => {
    const { engine, broker, denials } = await runSteps([
      buy10,
      (venue) => {
        venue.fillAll(); // long 10
        return [limitBuy(5), { ...limitBuy(4), side: 'sell' }];
      },
      async (_venue, killSwitch) => {
        await killSwitch.reduce('cut', 'ops');
        // Worst case for a sell: 10 − 4 working = 6 (the resting buy may never fill).
        return [marketOrder('sell', 7), marketOrder('sell', 6), marketOrder('buy', 1)];
      },
    ]);
    expect(denials()).toEqual([
      [2, 'KILL_SWITCH_REDUCING', 'sell', 7],
      [2, 'KILL_SWITCH_REDUCING', 'buy', 1],
    ]);
    const [buy] = broker.workingIds();
    await broker.cancel(buy!);
    broker.fillAll();
    expect(engine.position('EURUSD')).toBe(0);
  });

  it('flatten sends only what working orders do not already close, so it never overshoots', async () => {
    const { engine, broker, killSwitch } = await runSteps([
      buy10,
      (venue) => {
        venue.fillAll(); // long 10
        return [{ ...limitBuy(4), side: 'sell' }, limitBuy(5)];
      },
    ]);
    await killSwitch.reduce('cut', 'ops');
    expect(engine.flatten('test')).toBe(1);
    expect(broker.submitted.at(-1)).toMatchObject({ side: 'sell', quantity: 6, type: 'market' });
    // Nothing left to close in the worst case: a second flatten sends nothing.
    expect(engine.flatten('again')).toBe(0);
    const [, , restingBuy] = broker.submitted;
    await broker.cancel(restingBuy!.id);
    broker.fillAll();
    expect(engine.position('EURUSD')).toBe(0);
  });

  it('maxOpenOrders 1 counts an order until it is done: a partial fill does not free the slot', async () => {
    const { broker, denials } = await runSteps(
      [
        () => limitBuy(10),
        (venue) => {
          venue.fill(venue.workingIds()[0]!, 4);
          return limitBuy(3);
        },
        async (venue) => {
          await venue.cancel(venue.workingIds()[0]!);
          return limitBuy(3);
        },
      ],
      { maxOpenOrders: 1 },
    );
    expect(denials()).toEqual([[2, 'MAX_OPEN_ORDERS_EXCEEDED', 'buy', 3]]);
    expect(broker.submitted).toHaveLength(2);
    expect(broker.mostWorkingAtOnce).toBe(1);
  });
});

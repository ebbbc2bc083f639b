// Issue 10, scenario 3 through the engine: dailyLoss tripped, an operator resets while the loss is
// still over the limit; the rule re-engages in the same turn, so no order passes after the reset.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/schema.js';
import { createRiskWiring } from '../../src/cli/risk-wiring.js';
import { LiveEngine } from '../../src/engine/live-engine.js';
import {
  collect,
  marketOrder,
  openKillSwitch,
  ScriptedStrategy,
  tickAt,
  until,
} from './engine-fixtures.js';
import { LaterFillingBroker } from './later-filling-broker.js';

describe('risk rules after a reset', () => {
  it('a reset with the loss still over the limit re-engages at once: no order passes after it', async () => {
    const { store, killSwitch } = await openKillSwitch();
    const broker = new LaterFillingBroker();
    const config = validateConfig({
      risk: {
        monitor: { enabled: true, evaluationIntervalMs: 20, rules: { dailyLoss: { limit: 100 } } },
      },
    });
    const risk = createRiskWiring(config.risk, killSwitch, 'engine-a');
    const strategy = new ScriptedStrategy((_tick, _context, call) => {
      if (call === 1) return marketOrder('buy', 1000);
      if (call === 2) broker.fillAll(); // long 1000 at 1.1, marked at 0.9: a 200 loss
      return marketOrder('buy', 1); // every later tick tries to trade
    });
    let finish = () => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    async function* feed() {
      yield tickAt(1.1, 1);
      yield tickAt(0.9, 2);
      await until('the trip', () => killSwitch.state === 'ENGAGED');
      await killSwitch.reset('operator: resume', 'alice');
      for (let index = 3; index < 20; index += 1) yield tickAt(0.9, index);
      await finished;
    }
    const engine = new LiveEngine({
      killSwitch,
      strategy,
      broker,
      tickObservers: risk.tickObservers,
      cancelOpenOrdersOnShutdown: false,
    });
    risk.bind(engine);
    const seen = collect((listener) => engine.on(listener));
    const running = engine.run(feed());
    try {
      await until('the ticks after the reset', () => seen.ofType('TickBlocked').length >= 17);
    } finally {
      finish();
      await running;
      risk.stop();
    }
    // The code before this left the gates open after the reset: every later tick's order passed.
    expect(seen.ofType('OrderSubmitted')).toHaveLength(1);
    expect((await store.history()).map((record) => [record.state, record.trigger])).toEqual([
      ['SAFE', 'startup'],
      ['ENGAGED', 'risk:dailyLoss'],
      ['SAFE', 'manual'],
      ['ENGAGED', 'risk:dailyLoss'],
    ]);
    expect(seen.ofType('RiskLimitBreached')).toHaveLength(2);
  });
});

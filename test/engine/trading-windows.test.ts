// Trading windows through the engine: outside its window a symbol takes no new exposure (gate 2,
// OUTSIDE_TRADING_WINDOW) while reducing orders pass; in the flatten phase the engine closes it.
import { describe, expect, it } from 'vitest';
import { createRiskWiring } from '../../src/cli/risk-wiring.js';
import { validateConfig } from '../../src/config/schema.js';
import type { Clock } from '../../src/core/clock.js';
import type { Signal } from '../../src/core/types.js';
import { LiveEngine } from '../../src/engine/live-engine.js';
import {
  collect,
  marketOrder,
  openKillSwitch,
  ScriptedStrategy,
  tickAt,
} from './engine-fixtures.js';
import { LaterFillingBroker } from './later-filling-broker.js';

/** Wall time set by the test; monotonic time real, so the kill switch's lease behaves as in production. */
class SetWallClock implements Clock {
  constructor(public wall: number) {}
  now(): number {
    return this.wall;
  }
  monotonic(): number {
    return performance.now();
  }
}

// Monday 9 March 2026, the day after New York's spring forward: 09:30-16:00 EDT is 13:30-20:00 UTC.
const at = (hour: number, minute = 0) => Date.UTC(2026, 2, 9, hour, minute);
const NEW_YORK = { timeZone: 'America/New_York', open: '09:30', close: '16:00' };

/** One tick per step; each step runs first and returns the signals of that tick. */
async function runSteps(options: {
  clock: SetWallClock;
  flattenMinutesBeforeClose?: number;
  steps: ((context: StepContext) => Signal[] | void)[];
}) {
  const config = validateConfig({
    risk: {
      tradingWindows: {
        default: {
          ...NEW_YORK,
          ...(options.flattenMinutesBeforeClose === undefined
            ? {}
            : { flattenMinutesBeforeClose: options.flattenMinutesBeforeClose }),
        },
      },
      monitor: { enabled: false },
    },
  });
  const { killSwitch } = await openKillSwitch();
  const broker = new LaterFillingBroker();
  const risk = createRiskWiring(config.risk, killSwitch, 'engine-w', options.clock);
  const engines: LiveEngine[] = [];
  const context: StepContext = {
    broker,
    clock: options.clock,
    position: (symbol = 'EURUSD') => engines[0]?.position(symbol) ?? 0,
    checkWindows: () => risk.windowWatch?.check(),
  };
  const strategy = new ScriptedStrategy(
    (_tick, _context, call) => options.steps[call - 1]?.(context) ?? [],
  );
  const engine = new LiveEngine({
    killSwitch,
    strategy,
    broker,
    clock: options.clock,
    preTradeRisk: risk.preTradeRisk,
    tickObservers: risk.tickObservers,
    cancelOpenOrdersOnShutdown: false,
  });
  engines.push(engine);
  risk.bind(engine);
  const seen = collect((listener) => engine.on(listener));
  await engine.run(options.steps.map((_step, index) => tickAt(1.1, index)));
  risk.stop();
  return { seen, broker, engine };
}

interface StepContext {
  readonly broker: LaterFillingBroker;
  readonly clock: SetWallClock;
  readonly position: (symbol?: string) => number;
  readonly checkWindows: () => void;
}

describe('trading windows in the engine', () => {
  it('denies orders that add exposure after the close and lets reducing ones through', async () => {
    const clock = new SetWallClock(at(19));
    const { seen, broker } = await runSteps({
      clock,
      steps: [
        () => [marketOrder('buy', 1000)],
        ({ broker: venue }) => {
          venue.fillAll();
          clock.wall = at(20, 1); // 16:01 New York: closed
          return [
            marketOrder('buy', 10),
            marketOrder('sell', 10, 'GBPUSD'),
            marketOrder('sell', 400),
            marketOrder('sell', 2000), // would flip to short 1400: new exposure
          ];
        },
      ],
    });
    const denied = seen.ofType('OrderDenied');
    expect(denied.map((event) => [event.code, event.symbol, event.side, event.quantity])).toEqual([
      ['OUTSIDE_TRADING_WINDOW', 'EURUSD', 'buy', 10],
      ['OUTSIDE_TRADING_WINDOW', 'GBPUSD', 'sell', 10],
      ['OUTSIDE_TRADING_WINDOW', 'EURUSD', 'sell', 2000],
    ]);
    expect(denied[0]?.details).toEqual({
      symbol: 'EURUSD',
      window: 'default',
      phase: 'closed',
      timeZone: 'America/New_York',
      nextOpen: '2026-03-10T13:30:00.000Z',
    });
    expect(broker.submitted.map((order) => [order.side, order.quantity])).toEqual([
      ['buy', 1000],
      ['sell', 400],
    ]);
    // The run started inside the window: that phase is journaled first.
    expect(seen.ofType('TradingWindowChanged')[0]).toMatchObject({
      window: 'default',
      phase: 'open',
      previousPhase: null,
      nextClose: at(20),
    });
  });

  it('flattens the position in the flatten phase, once, and denies new exposure there', async () => {
    const clock = new SetWallClock(at(19, 50));
    const { seen, broker } = await runSteps({
      clock,
      flattenMinutesBeforeClose: 5,
      steps: [
        () => [marketOrder('buy', 1000)],
        ({ broker: venue, checkWindows }) => {
          venue.fillAll();
          clock.wall = at(19, 55); // 15:55 New York: the flatten phase
          checkWindows();
          checkWindows(); // the flatten order is working: nothing more to send
          return [marketOrder('buy', 10)];
        },
        ({ broker: venue, checkWindows, position }) => {
          venue.fillAll();
          checkWindows();
          expect(position()).toBe(0);
          return [];
        },
      ],
    });
    expect(broker.submitted.map((order) => [order.side, order.quantity, order.tag])).toEqual([
      ['buy', 1000, undefined],
      ['sell', 1000, 'flatten: trading window default closes at 2026-03-09T20:00:00.000Z'],
    ]);
    expect(seen.ofType('OrderDenied').map((event) => [event.code, event.details?.phase])).toEqual([
      ['OUTSIDE_TRADING_WINDOW', 'flattening'],
    ]);
    expect(
      seen.ofType('TradingWindowChanged').map((event) => [event.previousPhase, event.phase]),
    ).toEqual([
      [null, 'open'],
      ['open', 'flattening'],
    ]);
  });
});

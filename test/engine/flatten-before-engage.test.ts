// Issue 10, scenario 4: REDUCING -> flatten -> ENGAGED must not cancel its own flatten. With a
// broker that fills later, ENGAGED (and its cancel-all) waits until the flatten's orders are done,
// or flattenTimeoutMs, and the audit says which.
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

async function tripWithFlatten(
  flattenTimeoutMs: number,
  venue: (broker: LaterFillingBroker, flattenId: string, state: () => string) => Promise<void>,
) {
  const { store, killSwitch } = await openKillSwitch();
  const broker = new LaterFillingBroker();
  const config = validateConfig({
    risk: {
      monitor: {
        enabled: true,
        flattenOnEngage: true,
        flattenTimeoutMs,
        evaluationIntervalMs: 20,
        rules: { dailyLoss: { limit: 100 } },
      },
    },
  });
  const risk = createRiskWiring(config.risk, killSwitch, 'engine-a');
  const strategy = new ScriptedStrategy((_tick, _context, call) => {
    if (call === 1) return marketOrder('buy', 1000);
    // Long 1000 at 1.1 with the mark at 0.9: a 200 loss trips dailyLoss on the monitor's timer.
    if (call === 2) broker.fillAll();
    return null;
  });
  let finish = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  async function* feed() {
    yield tickAt(1.1, 1);
    yield tickAt(0.9, 2);
    await finished; // the engine keeps running (and its monitor evaluating) until the test is done
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
    // The flatten's sell is working, not filled; the venue decides what happens to it.
    await until('the flatten order', () => broker.submitted.length === 2);
    await venue(broker, broker.submitted[1]!.id, () => killSwitch.state);
    await until('ENGAGED', () => killSwitch.state === 'ENGAGED', flattenTimeoutMs + 5_000);
    await until('the engage cancel-all', () => seen.ofType('OrdersCancelled').length === 1);
  } finally {
    finish();
    await running;
    risk.stop();
  }
  return { store, killSwitch, broker, seen };
}

describe('flatten before engage', () => {
  it('waits for the flatten orders to be done before ENGAGED, so its cancel-all never cancels them', async () => {
    let stillReducing = false;
    let departsWhileReducing: boolean | undefined;
    let strangerDeparts: boolean | undefined;
    const { store, seen, broker } = await tripWithFlatten(
      3_000,
      async (venue, flattenId, state) => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        // The code before this wrote ENGAGED in the same turn as the flatten and cancelled it.
        stillReducing = state() === 'REDUCING';
        // A broker that queued orders lets the flatten leave in REDUCING, and nothing else.
        const flatten = venue.submitted.find((order) => order.id === flattenId)!;
        departsWhileReducing = venue.mayDepart(flatten);
        strangerDeparts = venue.mayDepart({ ...flatten, id: 'never-admitted' });
        venue.fill(flattenId);
      },
    );
    expect(stillReducing).toBe(true);
    expect(departsWhileReducing).toBe(true);
    expect(strangerDeparts).toBe(false);
    expect(broker.mayDepart(broker.submitted[1]!)).toBe(false); // ENGAGED now
    expect(seen.ofType('OrderDone')).toEqual([]);
    expect(seen.ofType('OrderFilled')).toHaveLength(2);
    expect(broker.workingIds()).toEqual([]);
    const engaged = (await store.history()).at(-1)!;
    expect(engaged.state).toBe('ENGAGED');
    expect(engaged.reason).toMatch(/flatten submitted 1 order\(s\), all done after \d+ ms$/);
  });

  it('engages after flattenTimeoutMs when the flatten does not fill, and says so in the audit', async () => {
    const { store, seen } = await tripWithFlatten(300, async () => {
      // The venue never fills it.
    });
    const engaged = (await store.history()).at(-1)!;
    expect(engaged.reason).toMatch(
      /flatten submitted 1 order\(s\), 1 of 1 still working after flattenTimeoutMs 300 ms \(cancelled by this engage\)$/,
    );
    expect(seen.ofType('OrderDone').map((event) => event.reason)).toEqual(['cancelled']);
  });
});

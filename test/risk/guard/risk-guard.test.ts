// The desk and firm guard against hand-made reports and in-memory scope stores: sums per desk and
// for the firm, last known figures for silent and withdrawn engines, one trip per episode.
import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { EngineReport } from '../../../src/core/kill-switch-record.js';
import type { PositionSnapshot } from '../../../src/core/risk-snapshot.js';
import { resetDecision } from '../../../src/killswitch/transitions.js';
import type { AggregateLimits } from '../../../src/risk/guard/aggregate-limits.js';
import { RiskGuard, type GuardEvent } from '../../../src/risk/guard/risk-guard.js';
import { TradingDay } from '../../../src/risk/monitor/trading-day.js';

interface Figures {
  readonly desk?: string;
  readonly dailyPnl?: number;
  readonly drawdown?: number;
  readonly grossExposure?: number;
  readonly positions?: readonly Pick<PositionSnapshot, 'symbol' | 'quantity'>[];
  readonly orders?: number;
  readonly currency?: string;
  readonly pid?: number;
  readonly noRisk?: boolean;
}

let reportedAt = 1;

function report(engineId: string, figures: Figures = {}): EngineReport {
  const desk = figures.desk ?? 'fx';
  return {
    engineId,
    host: 'h',
    pid: figures.pid ?? 100,
    startedAt: '2026-12-07T00:00:00.000Z',
    reportedAt: reportedAt++,
    observedRevision: 1,
    scopes: { global: 1, [`desk:${desk}`]: 1, [`engine:${engineId}`]: 1 },
    observedAt: 0,
    enforcedState: 'SAFE',
    failClosed: false,
    stats: { ordersSubmitted: figures.orders ?? 0 },
    ...(figures.noRisk === true
      ? {}
      : {
          risk: {
            positions: (figures.positions ?? []).map((position) => ({
              ...position,
              averagePrice: 1,
              markPrice: 1,
              unrealizedPnl: 0,
            })),
            realizedPnl: figures.dailyPnl ?? 0,
            unrealizedPnl: 0,
            dailyPnl: figures.dailyPnl ?? 0,
            equityPeak: 0,
            drawdown: figures.drawdown ?? 0,
            grossExposure: figures.grossExposure ?? 0,
            accountCurrency: figures.currency ?? 'USD',
            rules: [],
          },
        }),
  };
}

function setup(limits: {
  desks?: Record<string, AggregateLimits>;
  firm?: AggregateLimits;
  conversionRates?: Record<string, number>;
}) {
  const clock = new ManualClock(Date.parse('2026-12-07T10:00:00.000Z'));
  let listing: EngineReport[] = [];
  const stores = new Map<string, MemoryKillSwitchStore>();
  const storeOf = (scope: string): MemoryKillSwitchStore => {
    let store = stores.get(scope);
    if (store === undefined) {
      store = new MemoryKillSwitchStore({ clock });
      stores.set(scope, store);
    }
    return store;
  };
  const events: GuardEvent[] = [];
  const guard = (actor = 'guard-1') =>
    new RiskGuard({
      reports: { listEngineReports: () => Promise.resolve(structuredClone(listing)) },
      scopeStore: (scope) => Promise.resolve(storeOf(scope)),
      desks: limits.desks ?? {},
      firm: limits.firm ?? null,
      accountCurrency: 'USD',
      conversionRates: limits.conversionRates ?? {},
      tradingDay: new TradingDay({ timeZone: 'UTC', startHour: 0 }),
      staleAfterMs: 3_000,
      actor,
      clock,
      onEvent: (event) => events.push(event),
    });
  return {
    clock,
    events,
    guard,
    storeOf,
    list: (reports: EngineReport[]) => (listing = reports),
    stateOf: async (scope: string) => (await storeOf(scope).read())?.state ?? 'none',
    ofType: <T extends GuardEvent['type']>(type: T) =>
      events.filter((event): event is Extract<GuardEvent, { type: T }> => event.type === type),
  };
}

describe('RiskGuard', () => {
  it('trips desk:fx when three engines lose 600 each against a 1500 desk limit, naming each share', async () => {
    const world = setup({ desks: { fx: { dailyLoss: 1_500 }, eq: { dailyLoss: 1_500 } } });
    const guard = world.guard();
    world.list([
      report('fx-a', { dailyPnl: -400 }),
      report('fx-b', { dailyPnl: -400 }),
      report('fx-c', { dailyPnl: -400 }),
      report('eq-a', { desk: 'eq', dailyPnl: -1_400 }),
    ]);
    await guard.check();
    expect(await world.stateOf('desk:fx')).toBe('none');
    world.list([
      report('fx-a', { dailyPnl: -600 }),
      report('fx-b', { dailyPnl: -500 }),
      report('fx-c', { dailyPnl: -600 }),
      report('eq-a', { desk: 'eq', dailyPnl: -1_400 }),
    ]);
    await guard.check();
    const record = await world.storeOf('desk:fx').read();
    expect(record).toMatchObject({ state: 'ENGAGED', trigger: 'risk-guard', by: 'guard-1' });
    expect(record?.reason).toMatch(
      /^risk-guard: desk:fx dailyLoss 1700 >= limit 1500 \(USD, 3 engines\): fx-a pnl -600 exp 0 \(0\.0s old\); fx-c pnl -600/,
    );
    expect(record?.reason).toContain('fx-b pnl -500');
    expect(await world.stateOf('desk:eq')).toBe('none');
    expect(await world.stateOf('global')).toBe('none');
    // Once per episode: more looks in breach write nothing more.
    await guard.check();
    await guard.check();
    expect(await world.storeOf('desk:fx').history()).toHaveLength(1);
    expect(world.ofType('limit-breached')).toHaveLength(1);
    expect(world.ofType('limit-breached')[0]?.contributions).toHaveLength(3);
  });

  it('counts an engine that went silent, then withdrew, at its last figures until the trading day ends', async () => {
    const world = setup({ desks: { fx: { dailyLoss: 1_000, grossExposure: 10_000 } } });
    const guard = world.guard();
    const dead = report('fx-dead', { dailyPnl: -700, grossExposure: 6_000 });
    world.list([dead, report('fx-live', { dailyPnl: -100, grossExposure: 1_000 })]);
    await guard.check();
    world.clock.advance(5_000);
    // The dead engine's report stays as it was (SIGKILL): unchanged, then gone from the listing.
    world.list([dead, report('fx-live', { dailyPnl: -200, grossExposure: 3_000 })]);
    await guard.check();
    expect(world.ofType('engine-silent').map((event) => event.engineId)).toEqual(['fx-dead']);
    world.list([report('fx-live', { dailyPnl: -250, grossExposure: 3_500 })]);
    await guard.check();
    expect(world.ofType('engine-withdrawn').map((event) => event.engineId)).toEqual(['fx-dead']);
    expect(await world.stateOf('desk:fx')).toBe('none');
    world.list([report('fx-live', { dailyPnl: -300, grossExposure: 4_000 })]);
    await guard.check();
    const record = await world.storeOf('desk:fx').read();
    expect(record?.state).toBe('ENGAGED');
    expect(record?.reason).toMatch(
      /dailyLoss 1000 >= limit 1000, grossExposure 10000 >= limit 10000/,
    );
    expect(record?.reason).toMatch(
      /fx-dead pnl -700 exp 6000 \(withdrawn, last report 5\.0s old\)/,
    );
    // The next trading day forgets it.
    world.clock.advance(24 * 3_600_000);
    world.list([report('fx-live', { dailyPnl: 0 })]);
    await guard.check();
    expect(world.ofType('engine-forgotten').map((event) => event.engineId)).toEqual(['fx-dead']);
    expect(guard.aggregateOf('desk:fx')?.contributions.map((c) => c.engineId)).toEqual(['fx-live']);
  });

  it('writes one engage when two guards watch the same desk', async () => {
    const world = setup({ desks: { fx: { dailyLoss: 100 } } });
    const first = world.guard('guard-1');
    const second = world.guard('guard-2');
    world.list([report('fx-a', { dailyPnl: -60 }), report('fx-b', { dailyPnl: -60 })]);
    await Promise.all([first.check(), second.check()]);
    await Promise.all([first.check(), second.check()]);
    expect(await world.storeOf('desk:fx').history()).toHaveLength(1);
    const engaged = world.ofType('scope-engaged');
    expect(engaged.filter((event) => event.changed)).toHaveLength(1);
  });

  it('trips again at the next look after a reset while the sum is still over the limit', async () => {
    const world = setup({ desks: { fx: { dailyLoss: 100 } } });
    const guard = world.guard();
    world.list([report('fx-a', { dailyPnl: -60 }), report('fx-b', { dailyPnl: -60 })]);
    await guard.check();
    await world.storeOf('desk:fx').update(resetDecision('reviewed', 'alice'));
    await guard.check();
    const history = await world.storeOf('desk:fx').history();
    expect(history.map((record) => record.state)).toEqual(['ENGAGED', 'SAFE', 'ENGAGED']);
  });

  it('trips global on a firm limit summed over every desk', async () => {
    const world = setup({ desks: { fx: { dailyLoss: 1_000 } }, firm: { drawdown: 1_000 } });
    const guard = world.guard();
    world.list([
      report('fx-a', { drawdown: 400 }),
      report('eq-a', { desk: 'eq', drawdown: 400 }),
      report('rates-a', { desk: 'rates', drawdown: 300 }),
    ]);
    await guard.check();
    expect(await world.stateOf('global')).toBe('ENGAGED');
    expect((await world.storeOf('global').read())?.reason).toMatch(
      /^risk-guard: global drawdown 1100 >= limit 1000 \(USD, 3 engines\)/,
    );
    expect(await world.stateOf('desk:fx')).toBe('none');
  });

  it('nets positions per symbol across engines against maxPosition and per-symbol overrides', async () => {
    const world = setup({
      desks: { fx: { maxPosition: 1_000, symbols: { USDJPY: { maxPosition: 100 } } } },
    });
    const guard = world.guard();
    world.list([
      report('fx-a', { positions: [{ symbol: 'EURUSD', quantity: 900 }] }),
      report('fx-b', {
        positions: [
          { symbol: 'EURUSD', quantity: -400 },
          { symbol: 'USDJPY', quantity: 100 },
        ],
      }),
    ]);
    await guard.check();
    expect(await world.stateOf('desk:fx')).toBe('none');
    world.list([
      report('fx-a', { positions: [{ symbol: 'EURUSD', quantity: 900 }] }),
      report('fx-b', {
        positions: [
          { symbol: 'EURUSD', quantity: 200 },
          { symbol: 'USDJPY', quantity: 100 },
        ],
      }),
    ]);
    await guard.check();
    expect((await world.storeOf('desk:fx').read())?.reason).toMatch(
      /desk:fx position:EURUSD 1100 > limit 1000 \(/,
    );
  });

  it('measures the desk order rate from the counters over its window, across an engine restart', async () => {
    const world = setup({ desks: { fx: { orderRate: { limit: 50, windowMs: 2_000 } } } });
    const guard = world.guard();
    const look = async (a: number, b: number, pidB = 100) => {
      world.list([report('fx-a', { orders: a }), report('fx-b', { orders: b, pid: pidB })]);
      await guard.check();
      world.clock.advance(1_000);
    };
    await look(1_000, 0); // counts since first seen, not since the engine started
    await look(1_030, 30);
    await look(1_060, 60); // 120 orders in 2 s: 60/s
    expect(await world.stateOf('desk:fx')).toBe('ENGAGED');
    expect((await world.storeOf('desk:fx').read())?.reason).toMatch(/orderRate 60 > limit 50/);

    const calm = setup({ desks: { fx: { orderRate: { limit: 50, windowMs: 2_000 } } } });
    const other = calm.guard();
    const step = async (a: number, b: number, pidB: number) => {
      calm.list([report('fx-a', { orders: a }), report('fx-b', { orders: b, pid: pidB })]);
      await other.check();
      calm.clock.advance(1_000);
    };
    await step(0, 500, 100);
    await step(20, 520, 100);
    // fx-b restarted: its counter starts again at 10, which is 10 new orders, not -510 (or +510).
    await step(40, 10, 200); // 70 orders in 2 s
    await step(50, 20, 200);
    expect(await calm.stateOf('desk:fx')).toBe('none');
    await step(140, 30, 200); // 140 + 20 + 30 = 190, 120 more than 2 s before: 60/s
    expect((await calm.storeOf('desk:fx').read())?.reason).toMatch(/orderRate 60 > limit 50/);
  });

  it('converts an engine reporting in another currency, and fails closed when no rate is configured', async () => {
    const world = setup({ desks: { fx: { dailyLoss: 1_000 } }, conversionRates: { EUR: 1.1 } });
    const guard = world.guard();
    world.list([
      report('fx-eur', { dailyPnl: -500, currency: 'EUR' }),
      report('fx-usd', { dailyPnl: -400 }),
    ]);
    await guard.check();
    expect(await world.stateOf('desk:fx')).toBe('none'); // 550 + 400 = 950
    world.list([
      report('fx-eur', { dailyPnl: -600, currency: 'EUR' }),
      report('fx-usd', { dailyPnl: -400 }),
    ]);
    await guard.check();
    expect((await world.storeOf('desk:fx').read())?.reason).toMatch(/dailyLoss 1060 >= limit 1000/);

    const unpriced = setup({ desks: { fx: { dailyLoss: 1_000 } } });
    const other = unpriced.guard();
    unpriced.list([report('fx-jpy', { dailyPnl: 0, currency: 'JPY' })]);
    await other.check();
    expect((await unpriced.storeOf('desk:fx').read())?.reason).toContain(
      'engine fx-jpy reports in JPY: no risk.conversionRates.JPY to value it in USD',
    );
  });

  it('says 50, 75 and 90 percent once each before the trip', async () => {
    const world = setup({ desks: { fx: { dailyLoss: 1_000 } } });
    const guard = world.guard();
    for (const loss of [100, 500, 600, 760, 780, 950, 960, 1_000]) {
      world.list([report('fx-a', { dailyPnl: -loss })]);
      await guard.check();
    }
    expect(world.ofType('limit-warning').map((event) => event.percent)).toEqual([50, 75, 90]);
    expect(world.ofType('limit-breached')).toHaveLength(1);
  });
});

describe('RiskGuard with live limits', () => {
  it('trips at the next look after a tightened desk limit, and lets a reset stay reset after a loosened one', async () => {
    const world = setup({ desks: { fx: { dailyLoss: 5_000 } } });
    const guard = world.guard();
    world.list([report('fx-a', { dailyPnl: -600 })]);
    await guard.check();
    expect(await world.stateOf('desk:fx')).toBe('none');
    expect(guard.applyLimits({ fx: { dailyLoss: 500 } }, null)).toEqual(['desk:fx']);
    await guard.check();
    expect(await world.stateOf('desk:fx')).toBe('ENGAGED');
    expect(guard.applyLimits({ fx: { dailyLoss: 100_000 } }, null)).toEqual(['desk:fx']);
    await world.storeOf('desk:fx').update(resetDecision('room again', 'tester'));
    await guard.check();
    await guard.check();
    expect(await world.stateOf('desk:fx')).toBe('SAFE');
    expect(world.ofType('limit-cleared')).toHaveLength(1);
  });

  it('guards a desk and the firm a revision adds, and forgets a scope it removes', async () => {
    const world = setup({ desks: { fx: { dailyLoss: 5_000 } } });
    const guard = world.guard();
    world.list([report('eq-a', { desk: 'eq', dailyPnl: -800 })]);
    expect(
      guard.applyLimits({ eq: { dailyLoss: 700 } }, { grossExposure: 1_000_000 }).sort(),
    ).toEqual(['desk:eq', 'desk:fx', 'global']);
    expect(guard.scopes).toEqual(['desk:eq', 'global']);
    await guard.check();
    expect(await world.stateOf('desk:eq')).toBe('ENGAGED');
    // Equal limits change nothing.
    expect(guard.applyLimits({ eq: { dailyLoss: 700 } }, { grossExposure: 1_000_000 })).toEqual([]);
  });
});

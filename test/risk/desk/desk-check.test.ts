// The desk check at gate 2: the rest of the desk as this engine last listed it (DeskView, from the
// other engines' reports) + this engine's live worst case + the order, against risk.desks and
// risk.firm; reducing orders pass; a view too old fails closed; own numbers are never counted twice.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { LivegateEvent } from '../../../src/core/events.js';
import type { EngineReport } from '../../../src/core/kill-switch-record.js';
import type { Side, Signal, Tick } from '../../../src/core/types.js';
import type { AggregateLimits } from '../../../src/risk/guard/aggregate-limits.js';
import { DeskView, type OwnLossFigures } from '../../../src/risk/desk/desk-view.js';
import { PreTradeRiskEngine } from '../../../src/risk/pre-trade/pre-trade-risk-engine.js';
import { TradingDay } from '../../../src/risk/monitor/trading-day.js';

const T0 = Date.parse('2026-12-07T10:00:00.000Z');
const MAX_AGE_MS = 3_000;

interface Figures {
  readonly desk?: string | null;
  readonly dailyPnl?: number;
  readonly drawdown?: number;
  readonly grossExposure?: number;
  readonly positions?: Readonly<Record<string, number>>;
}

let reportedAt = 1;

function report(engineId: string, figures: Figures = {}): EngineReport {
  const desk = figures.desk === undefined ? 'fx' : figures.desk;
  return {
    engineId,
    host: 'h',
    pid: 100,
    startedAt: '2026-12-07T00:00:00.000Z',
    reportedAt: reportedAt++,
    observedRevision: 1,
    scopes: {
      global: 1,
      ...(desk === null ? {} : { [`desk:${desk}`]: 1 }),
      [`engine:${engineId}`]: 1,
    },
    observedAt: 0,
    enforcedState: 'SAFE',
    failClosed: false,
    stats: {},
    risk: {
      positions: Object.entries(figures.positions ?? {}).map(([symbol, quantity]) => ({
        symbol,
        quantity,
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
      accountCurrency: 'USD',
      rules: [],
    },
  };
}

function market(side: Side, quantity: number, symbol = 'EURUSD'): Signal {
  return { symbol, side, quantity, type: 'market', price: undefined };
}

function quote(symbol: string, mid: number): Tick {
  return { symbol, bid: mid, ask: mid, time: T0 };
}

function filled(symbol: string, position: number): LivegateEvent {
  return {
    type: 'OrderFilled',
    time: T0,
    engineId: 'fx-a',
    fill: { orderId: `f-${symbol}`, symbol, side: 'buy', quantity: 1, price: 1, time: T0 },
    position,
  };
}

function setup(
  limits: { desk?: AggregateLimits; firm?: AggregateLimits },
  options: { desk?: string | null; own?: () => OwnLossFigures } = {},
) {
  const clock = new ManualClock(T0);
  let listing: EngineReport[] = [];
  let failing = false;
  const view = DeskView.create({
    engineId: 'fx-a',
    desk: options.desk === undefined ? 'fx' : options.desk,
    desks: limits.desk === undefined ? {} : { fx: limits.desk },
    firm: limits.firm ?? null,
    reports: {
      listEngineReports: () =>
        failing
          ? Promise.reject(new Error('store unreachable'))
          : Promise.resolve(structuredClone(listing)),
    },
    accountCurrency: 'USD',
    conversionRates: {},
    tradingDay: new TradingDay({ timeZone: 'UTC', startHour: 0 }),
    intervalMs: 1_000,
    maxAgeMs: MAX_AGE_MS,
    staleAfterMs: 3_000,
    ...(options.own === undefined ? {} : { ownFigures: options.own }),
    clock,
  });
  if (view === undefined) throw new Error('expected a desk view');
  const chain = new PreTradeRiskEngine(
    { defaults: { maxOrdersPerSecond: 1e6, burst: 1e6 }, maxOrdersPerSecond: 1e6, burst: 1e6 },
    { clock, aggregates: view.headrooms },
  );
  chain.observeTick(quote('EURUSD', 1));
  chain.observeTick(quote('GBPUSD', 1));
  return {
    clock,
    view,
    chain,
    list: async (reports: EngineReport[]) => {
      listing = reports;
      await view.refresh();
    },
    failListings: () => (failing = true),
    check: (signal: Signal, position = 0) => chain.check(signal, position, clock.now()),
  };
}

describe('desk check (DESK_LIMIT)', () => {
  it("denies an order that takes the desk's net position past its limit, counting the rest as last listed", async () => {
    const desk = setup({ desk: { maxPosition: 1_000 } });
    await desk.list([report('fx-b', { positions: { EURUSD: 600 } })]);
    expect(desk.check(market('buy', 400))).toBeNull();
    expect(desk.check(market('buy', 401))).toEqual({
      code: 'DESK_LIMIT',
      details: {
        scope: 'desk:fx',
        rule: 'maxPosition',
        symbol: 'EURUSD',
        limit: 1_000,
        actual: 1_001,
        rest: 600,
        own: 401,
        viewAgeMs: 0,
      },
    });
    // Short the other way nets against the rest: -1000 + 600 is within the limit.
    expect(desk.check(market('sell', 1_600))).toBeNull();
    expect(desk.check(market('sell', 1_601))?.code).toBe('DESK_LIMIT');
  });

  it('counts only engines of its own desk, and per-symbol limits over the default', async () => {
    const desk = setup({ desk: { maxPosition: 1_000, symbols: { GBPUSD: { maxPosition: 100 } } } });
    await desk.list([
      report('eq-a', { desk: 'eq', positions: { EURUSD: 900 } }),
      report('nodesk', { desk: null, positions: { EURUSD: 900 } }),
    ]);
    expect(desk.check(market('buy', 1_000))).toBeNull();
    expect(desk.check(market('buy', 101, 'GBPUSD'))?.details).toMatchObject({
      rule: 'maxPosition',
      limit: 100,
    });
  });

  it('counts its own position live from fills and working orders, and ignores its own report in the store', async () => {
    const desk = setup({ desk: { maxPosition: 1_000 } });
    // Its own old report says 900; the chain's live position is 300: only the live one counts.
    await desk.list([
      report('fx-a', { positions: { EURUSD: 900 } }),
      report('fx-b', { positions: { EURUSD: 500 } }),
    ]);
    desk.chain.onEvent(filled('EURUSD', 300));
    expect(desk.check(market('buy', 200), 300)).toBeNull();
    expect(desk.check(market('buy', 201), 300)?.details).toMatchObject({
      actual: 1_001,
      rest: 500,
      own: 501,
    });
    // A working buy of 150 counts on the buy side until it is done.
    desk.chain.onEvent({
      type: 'OrderSubmitted',
      time: T0,
      engineId: 'fx-a',
      latencyNs: 0,
      revision: 1,
      order: {
        id: 'w1',
        symbol: 'EURUSD',
        side: 'buy',
        quantity: 150,
        type: 'limit',
        price: 0.9,
        tag: undefined,
        createdAt: T0,
      },
    });
    expect(desk.check(market('buy', 51), 300)?.details).toMatchObject({ own: 501 });
    expect(desk.check(market('buy', 50), 300)).toBeNull();
  });

  it('lets reducing orders through when the desk is already over its limit', async () => {
    const desk = setup({ desk: { maxPosition: 1_000 } });
    await desk.list([report('fx-b', { positions: { EURUSD: 1_200 } })]);
    desk.chain.onEvent(filled('EURUSD', 100));
    expect(desk.check(market('buy', 1), 100)?.code).toBe('DESK_LIMIT');
    // Shrinks this engine's position: always passes.
    expect(desk.check(market('sell', 100), 100)).toBeNull();
    // Flips this engine short but brings the desk's net from 1300 toward zero: passes.
    expect(desk.check(market('sell', 400), 100)).toBeNull();
  });

  it('counts an engine that stopped reporting at its last report, never as zero', async () => {
    const desk = setup({ desk: { maxPosition: 1_000 } });
    await desk.list([report('fx-b', { positions: { EURUSD: 800 } })]);
    // fx-b's report is gone (a clean stop): still 800 for the rest of the trading day.
    await desk.list([]);
    expect(desk.check(market('buy', 201))?.details).toMatchObject({ rest: 800 });
  });

  it("denies new exposure while the desk's daily loss (rest + own live) is at its limit", async () => {
    let own: OwnLossFigures = { dailyPnl: -300, drawdown: 0 };
    const desk = setup({ desk: { dailyLoss: 1_000, drawdown: 5_000 } }, { own: () => own });
    await desk.list([report('fx-b', { dailyPnl: -600 })]);
    expect(desk.check(market('buy', 10))).toBeNull();
    own = { dailyPnl: -400, drawdown: 0 };
    desk.view.judgeLosses();
    expect(desk.check(market('buy', 10))).toEqual({
      code: 'DESK_LIMIT',
      details: { scope: 'desk:fx', rule: 'dailyLoss', limit: 1_000, actual: 1_000 },
    });
    expect(desk.check(market('sell', 10), 50)).toBeNull();
    own = { dailyPnl: -100, drawdown: 4_500 };
    await desk.list([report('fx-b', { dailyPnl: -600, drawdown: 500 })]);
    expect(desk.check(market('buy', 10))?.details).toMatchObject({
      rule: 'drawdown',
      actual: 5_000,
    });
  });

  it("denies an order that takes the desk's gross exposure past its limit", async () => {
    const desk = setup({ desk: { grossExposure: 3_000 } });
    await desk.list([report('fx-b', { grossExposure: 2_000 })]);
    desk.chain.observeTick(quote('EURUSD', 2));
    expect(desk.check(market('buy', 500))).toBeNull();
    expect(desk.check(market('buy', 501))).toEqual({
      code: 'DESK_LIMIT',
      details: {
        scope: 'desk:fx',
        rule: 'grossExposure',
        limit: 3_000,
        actual: 3_002,
        rest: 2_000,
        own: 1_002,
        viewAgeMs: 0,
      },
    });
  });

  it('holds an engine without a desk to the firm limits, over every other engine', async () => {
    const firm = setup({ firm: { maxPosition: 1_000 } }, { desk: null });
    await firm.list([
      report('fx-b', { positions: { EURUSD: 400 } }),
      report('eq-a', { desk: 'eq', positions: { EURUSD: 400 } }),
    ]);
    expect(firm.check(market('buy', 201))?.details).toMatchObject({
      scope: 'global',
      rest: 800,
    });
    expect(firm.check(market('buy', 200))).toBeNull();
  });
});

describe('desk view staleness (DESK_VIEW_STALE)', () => {
  it('fails closed for new exposure before the first listing and once the view is older than maxAgeMs', async () => {
    const desk = setup({ desk: { maxPosition: 1_000 } });
    expect(desk.check(market('buy', 1))).toEqual({
      code: 'DESK_VIEW_STALE',
      details: { scope: 'desk:fx', ageMs: 'never listed', maxAgeMs: MAX_AGE_MS },
    });
    await desk.list([]);
    expect(desk.check(market('buy', 1))).toBeNull();
    desk.failListings();
    desk.clock.advance(MAX_AGE_MS - 1);
    await desk.view.refresh();
    expect(desk.check(market('buy', 1))).toBeNull();
    desk.clock.advance(1);
    expect(desk.check(market('buy', 1))).toEqual({
      code: 'DESK_VIEW_STALE',
      details: { scope: 'desk:fx', ageMs: MAX_AGE_MS, maxAgeMs: MAX_AGE_MS },
    });
    // A reducing order still gets out.
    expect(desk.check(market('sell', 1), 5)).toBeNull();
  });
});

describe('DeskView.create', () => {
  it('makes no view (the chain pays nothing) when no desk or firm limit applies to the engine', () => {
    const common = {
      engineId: 'fx-a',
      reports: { listEngineReports: () => Promise.resolve([]) },
      accountCurrency: 'USD',
      conversionRates: {},
      tradingDay: new TradingDay({ timeZone: 'UTC', startHour: 0 }),
      intervalMs: 1_000,
      maxAgeMs: 3_000,
      staleAfterMs: 3_000,
    };
    expect(
      DeskView.create({ ...common, desk: null, desks: { fx: { dailyLoss: 1 } }, firm: null }),
    ).toBeUndefined();
    expect(
      DeskView.create({ ...common, desk: 'eq', desks: { fx: { dailyLoss: 1 } }, firm: null }),
    ).toBeUndefined();
    // An order rate alone is the guard's to hold.
    expect(
      DeskView.create({
        ...common,
        desk: 'fx',
        desks: { fx: { orderRate: { limit: 5, windowMs: 5_000 } } },
        firm: null,
      }),
    ).toBeUndefined();
    expect(
      DeskView.create({ ...common, desk: 'fx', desks: { fx: { dailyLoss: 1 } }, firm: null }),
    ).toBeDefined();
  });
});

describe('desk limits changed live', () => {
  it('holds orders to a revised desk limit at once, valued from the last listing', async () => {
    const desk = setup({ desk: { maxPosition: 1_000 } });
    await desk.list([report('fx-b', { positions: { EURUSD: 600 } })]);
    expect(desk.check(market('buy', 400))).toBeNull();
    const before = desk.view.headrooms;
    expect(desk.view.applyLimits({ fx: { maxPosition: 700 } }, null)).toBe(true);
    expect(desk.view.headrooms).not.toBe(before);
    desk.chain.applyAggregates(desk.view.headrooms);
    expect(desk.check(market('buy', 101))).toMatchObject({
      code: 'DESK_LIMIT',
      details: { scope: 'desk:fx', rule: 'maxPosition', limit: 700, rest: 600 },
    });
    expect(desk.check(market('buy', 100))).toBeNull();
    // Equal limits: nothing to swap.
    expect(desk.view.applyLimits({ fx: { maxPosition: 700 } }, null)).toBe(false);
    // Every limit removed: the chain checks nothing.
    expect(desk.view.applyLimits({}, null)).toBe(true);
    desk.chain.applyAggregates(desk.view.headrooms);
    expect(desk.check(market('buy', 5_000))).toBeNull();
  });

  it('starts listing for a desk a revision limits first, failing closed until it has', async () => {
    const clock = new ManualClock(T0);
    let listings = 0;
    const view = DeskView.following({
      engineId: 'fx-a',
      desk: 'fx',
      desks: {},
      firm: null,
      reports: {
        listEngineReports: () => {
          listings++;
          return Promise.resolve([report('fx-b', { positions: { EURUSD: 5 } })]);
        },
      },
      accountCurrency: 'USD',
      conversionRates: {},
      tradingDay: new TradingDay({ timeZone: 'UTC', startHour: 0 }),
      intervalMs: 1_000,
      maxAgeMs: MAX_AGE_MS,
      staleAfterMs: 3_000,
      clock,
    });
    await view.refresh();
    expect(listings).toBe(0);
    const chain = new PreTradeRiskEngine({}, { clock });
    chain.observeTick(quote('EURUSD', 1));
    view.applyLimits({ fx: { maxPosition: 10 } }, null);
    chain.applyAggregates(view.headrooms);
    expect(chain.check(market('buy', 1), 0, clock.now())).toMatchObject({
      code: 'DESK_VIEW_STALE',
    });
    await view.refresh();
    expect(listings).toBe(1);
    expect(chain.check(market('buy', 5), 0, clock.now())).toBeNull();
    expect(chain.check(market('buy', 6), 0, clock.now())).toMatchObject({ code: 'DESK_LIMIT' });
    view.stop();
  });
});

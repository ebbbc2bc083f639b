// Named risk drills run through the real engine, gates, risk chain, monitor and file store.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PaperBroker } from '../adapters/brokers/paper-broker.js';
import { MemoryEventSink } from '../adapters/sinks/memory-event-sink.js';
import { FileKillSwitchStore } from '../adapters/stores/file-kill-switch-store.js';
import { riskSchema } from '../config/risk-schema.js';
import type { KillSwitchRecord } from '../core/kill-switch-record.js';
import type { Strategy } from '../core/ports.js';
import type { Tick } from '../core/types.js';
import { LiveEngine } from '../engine/live-engine.js';
import { KillSwitch } from '../killswitch/kill-switch.js';
import { createRiskWiring } from './risk-wiring.js';

export interface RiskDrillResult {
  readonly name: string;
  readonly passed: boolean;
  /** What happened, one line per fact, for the operator. */
  readonly facts: readonly string[];
  /** Each expected safety outcome and whether it held. */
  readonly checks: readonly { readonly expectation: string; readonly held: boolean }[];
}

interface DrillSetup {
  readonly risk: unknown;
  readonly strategy: Strategy;
  readonly ticks: () => AsyncGenerator<Tick>;
}

interface DrillRun {
  readonly events: MemoryEventSink;
  readonly history: readonly KillSwitchRecord[];
  readonly ticksBeforeEngaged: number | null;
  readonly ordersAfterEngaged: number;
}

const pause = (milliseconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, milliseconds));

function quote(symbol: string, mid: number, time: number): Tick {
  return { symbol, bid: mid - 0.0001, ask: mid + 0.0001, time };
}

async function runDrill(setup: DrillSetup): Promise<DrillRun> {
  const stateDirectory = await mkdtemp(path.join(os.tmpdir(), 'livegate-risk-drill-'));
  const store = new FileKillSwitchStore({ stateDirectory });
  try {
    const killSwitch = await KillSwitch.open(store, { actor: 'drill' });
    const events = new MemoryEventSink();
    const risk = createRiskWiring(riskSchema.parse(setup.risk), killSwitch, 'drill');
    const engine = new LiveEngine({
      killSwitch,
      strategy: setup.strategy,
      broker: new PaperBroker(),
      engineId: 'drill',
      sinks: [events],
      preTradeRisk: risk.preTradeRisk,
      tickObservers: risk.tickObservers,
    });
    risk.bind(engine);
    let ticks = 0;
    let ticksBeforeEngaged: number | null = null;
    engine.on((event) => {
      if (event.type === 'KillSwitchChanged' && event.enforcedState === 'ENGAGED') {
        ticksBeforeEngaged ??= ticks;
      }
    });
    async function* counted(): AsyncGenerator<Tick> {
      for await (const tick of setup.ticks()) {
        ticks++;
        yield tick;
      }
    }
    await engine.run(counted());
    risk.stop();
    killSwitch.close();
    const engagedAt = events.events.findIndex(
      (event) => event.type === 'KillSwitchChanged' && event.enforcedState === 'ENGAGED',
    );
    const ordersAfterEngaged =
      engagedAt < 0
        ? 0
        : events.events.slice(engagedAt).filter((event) => event.type === 'OrderSubmitted').length;
    return { events, history: await store.history(), ticksBeforeEngaged, ordersAfterEngaged };
  } finally {
    await store.close();
    await rm(stateDirectory, { recursive: true, force: true });
  }
}

function result(name: string, facts: string[], checks: [string, boolean][]): RiskDrillResult {
  return {
    name,
    facts,
    checks: checks.map(([expectation, held]) => ({ expectation, held })),
    passed: checks.every(([, held]) => held),
  };
}

function deniedCodes(events: MemoryEventSink): Map<string, number> {
  const codes = new Map<string, number>();
  for (const event of events.ofType('OrderDenied'))
    codes.set(event.code, (codes.get(event.code) ?? 0) + 1);
  return codes;
}

/**
 * A strategy floods 5 market orders per tick: the throttle denies, then orderRate engages.
 * Ticks come at most one per millisecond, so the trip must come within the ticks it takes the
 * throttle to let `limit + 1` orders through, plus a few evaluation periods.
 */
const RUNAWAY = { rate: 200, burst: 20, limit: 50, evaluationIntervalMs: 10, ticks: 400 };
const RUNAWAY_TICK_BOUND =
  Math.ceil(((RUNAWAY.limit + 1 - RUNAWAY.burst) / RUNAWAY.rate) * 1000) +
  3 * RUNAWAY.evaluationIntervalMs;

async function runaway(): Promise<RiskDrillResult> {
  const flood = Array.from({ length: 5 }, () => ({
    symbol: 'EURUSD',
    side: 'buy' as const,
    quantity: 1,
    type: 'market' as const,
  }));
  const run = await runDrill({
    risk: {
      preTrade: { maxOrdersPerSecond: RUNAWAY.rate, burst: RUNAWAY.burst },
      monitor: {
        evaluationIntervalMs: RUNAWAY.evaluationIntervalMs,
        rules: { orderRate: { limit: RUNAWAY.limit, windowMs: 1000 } },
      },
    },
    strategy: { name: 'runaway', onTick: () => flood },
    ticks: async function* () {
      for (let index = 0; index < RUNAWAY.ticks; index++) {
        yield quote('EURUSD', 1.1, 1_700_000_000_000 + index);
        await pause(1);
      }
    },
  });
  const throttled = deniedCodes(run.events).get('ORDER_RATE_EXCEEDED') ?? 0;
  const trip = run.history.find((record) => record.trigger === 'risk:orderRate');
  const submitted = run.events.ofType('OrderSubmitted').length;
  return result(
    'runaway',
    [
      `${submitted} orders submitted, ${throttled} denied by the throttle (ORDER_RATE_EXCEEDED)`,
      `kill switch: ${trip === undefined ? 'not tripped' : `ENGAGED by ${trip.by}: ${trip.reason}`}`,
      `engaged after ${run.ticksBeforeEngaged ?? 'never'} of ${RUNAWAY.ticks} ticks (bound ${RUNAWAY_TICK_BOUND}); ${run.ordersAfterEngaged} orders after that`,
    ],
    [
      ['the throttle denied excess orders', throttled > 0],
      ['the orderRate rule engaged the switch', trip?.state === 'ENGAGED'],
      [
        `within ${RUNAWAY_TICK_BOUND} ticks`,
        run.ticksBeforeEngaged !== null && run.ticksBeforeEngaged <= RUNAWAY_TICK_BOUND,
      ],
      ['no order after ENGAGED', run.ordersAfterEngaged === 0],
    ],
  );
}

/** A 1000x quantity is denied before the broker; normal orders pass and the switch stays SAFE. */
async function fatFinger(): Promise<RiskDrillResult> {
  const run = await runDrill({
    risk: {
      preTrade: { defaults: { maxQuantity: 100_000, collarPercent: 5 } },
      monitor: { rules: {} },
    },
    strategy: {
      name: 'fat-finger',
      onTick: (tick) => ({
        symbol: tick.symbol,
        side: 'buy',
        quantity: tick.time % 10 === 5 ? 1_000_000 : 1_000,
        type: 'market',
      }),
    },
    ticks: async function* () {
      for (let index = 0; index < 10; index++) {
        yield quote('EURUSD', 1.1, 1_700_000_000_000 + index);
        await pause(0);
      }
    },
  });
  const denied = run.events.ofType('OrderDenied');
  const submitted = run.events.ofType('OrderSubmitted');
  const fat = denied.find((event) => event.quantity === 1_000_000);
  return result(
    'fat-finger',
    [
      `${submitted.length} orders of 1,000 submitted; ${denied.length} denied`,
      fat === undefined
        ? 'the 1,000,000 order was not denied'
        : `1,000,000 denied at gate ${fat.gate}: ${fat.code} ${JSON.stringify(fat.details)}`,
    ],
    [
      [
        'the 1000x order was denied with MAX_ORDER_QUANTITY_EXCEEDED',
        fat?.code === 'MAX_ORDER_QUANTITY_EXCEEDED',
      ],
      ['it never reached the broker', submitted.every((event) => event.order.quantity === 1_000)],
      ['the other 9 orders passed', submitted.length === 9],
    ],
  );
}

/** A 10% gap down breaches the daily loss limit: REDUCING, flatten, then ENGAGED, then no order. */
async function flashCrash(): Promise<RiskDrillResult> {
  const run = await runDrill({
    risk: {
      preTrade: { defaults: { maxQuantity: 1_000_000, collarPercent: 20 } },
      monitor: {
        evaluationIntervalMs: 10,
        flattenOnEngage: true,
        rules: { dailyLoss: { limit: 5_000 } },
      },
    },
    strategy: {
      name: 'buy-then-hold',
      onTick: (tick, context) =>
        context.position(tick.symbol) === 0 && tick.bid > 1.05
          ? { symbol: tick.symbol, side: 'buy', quantity: 100_000, type: 'market' }
          : null,
    },
    ticks: async function* () {
      for (let index = 0; index < 200; index++) {
        yield quote('EURUSD', index < 50 ? 1.1 : 0.99, 1_700_000_000_000 + index);
        await pause(1);
      }
    },
  });
  const states = run.history
    .filter((record) => record.trigger === 'risk:dailyLoss')
    .map((record) => record.state);
  const flattenOrders = run.events
    .ofType('OrderSubmitted')
    .filter((event) => event.order.tag?.startsWith('flatten') === true);
  const breach = run.events.ofType('RiskLimitBreached').find((event) => event.rule === 'dailyLoss');
  return result(
    'flash-crash',
    [
      `breach: ${breach?.message ?? 'none'}`,
      `kill switch went ${states.join(' -> ') || 'nowhere'} (trigger risk:dailyLoss)`,
      `${flattenOrders.length} flatten order(s); ${run.ordersAfterEngaged} orders after ENGAGED`,
    ],
    [
      ['the daily loss rule tripped', breach !== undefined],
      ['REDUCING, then ENGAGED', states.join(',') === 'REDUCING,ENGAGED'],
      ['the position was flattened through the gates', flattenOrders.length === 1],
      ['no order after ENGAGED', run.ordersAfterEngaged === 0],
    ],
  );
}

/** The feed stalls: the stale-feed rule engages and the ticks after the stall are blocked. */
async function staleFeed(): Promise<RiskDrillResult> {
  const run = await runDrill({
    risk: { monitor: { evaluationIntervalMs: 20, rules: { staleFeed: { limitMs: 200 } } } },
    strategy: {
      name: 'one-per-tick',
      onTick: (tick) => ({ symbol: tick.symbol, side: 'buy', quantity: 1, type: 'market' }),
    },
    ticks: async function* () {
      for (let index = 0; index < 20; index++) {
        yield quote('EURUSD', 1.1, 1_700_000_000_000 + index);
        if (index === 9) await pause(600);
        else await pause(2);
      }
    },
  });
  const trip = run.history.find((record) => record.trigger === 'risk:staleFeed');
  const blocked = run.events.ofType('TickBlocked').length;
  return result(
    'stale-feed',
    [
      `kill switch: ${trip === undefined ? 'not tripped' : `${trip.state}: ${trip.reason}`}`,
      `${blocked} ticks blocked after the stall; ${run.ordersAfterEngaged} orders after ENGAGED`,
    ],
    [
      ['the staleFeed rule engaged the switch', trip?.state === 'ENGAGED'],
      ['the 10 ticks after the stall were blocked', blocked === 10],
      ['no order after ENGAGED', run.ordersAfterEngaged === 0],
    ],
  );
}

export const RISK_DRILLS: Readonly<Record<string, () => Promise<RiskDrillResult>>> = {
  runaway,
  'fat-finger': fatFinger,
  'flash-crash': flashCrash,
  'stale-feed': staleFeed,
};

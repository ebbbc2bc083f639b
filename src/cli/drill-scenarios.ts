// The original system's three dry-run scenarios, run through the real engine, gates and file store.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RunSummary } from '../core/events.js';
import type { MarketFeed } from '../core/ports.js';
import type { Tick } from '../core/types.js';
import { PaperBroker } from '../adapters/brokers/paper-broker.js';
import { SyntheticMarketFeed } from '../adapters/feeds/synthetic-market-feed.js';
import { FileKillSwitchStore } from '../adapters/stores/file-kill-switch-store.js';
import { LiveEngine } from '../engine/live-engine.js';
import { KillSwitch } from '../killswitch/kill-switch.js';
import { OneOrderPerTickStrategy } from '../strategies/one-order-per-tick-strategy.js';

export interface DrillScenario {
  readonly name: string;
  readonly ticks: number;
  /** 1-based tick at whose arrival the switch is engaged; null for none. */
  readonly killAtTick: number | null;
  readonly expectedOrders: number;
  readonly expectedBlocked: number;
}

export const SEED_SCENARIOS: readonly DrillScenario[] = [
  { name: 'Normal operation', ticks: 10, killAtTick: null, expectedOrders: 10, expectedBlocked: 0 },
  {
    name: 'Kill switch at tick #5',
    ticks: 15,
    killAtTick: 5,
    expectedOrders: 4,
    expectedBlocked: 11,
  },
  {
    name: 'Immediate kill switch (tick #1)',
    ticks: 5,
    killAtTick: 1,
    expectedOrders: 0,
    expectedBlocked: 5,
  },
];

export interface DrillResult {
  readonly scenario: DrillScenario;
  readonly orders: number;
  readonly blocked: number;
  readonly passed: boolean;
  readonly summary: RunSummary;
}

/** Engages the switch just before the chosen tick reaches the engine, like an operator would. */
async function* engageBeforeTick(
  feed: MarketFeed,
  killAtTick: number | null,
  killSwitch: KillSwitch,
): AsyncGenerator<Tick> {
  let count = 0;
  for await (const item of feed.ticks()) {
    for (const tick of Array.isArray(item) ? (item as readonly Tick[]) : [item as Tick]) {
      count++;
      if (count === killAtTick)
        await killSwitch.engage(`drill: kill at tick ${count}`, 'drill', 'drill');
      yield tick;
    }
  }
}

export async function runDrillScenario(scenario: DrillScenario): Promise<DrillResult> {
  const stateDirectory = await mkdtemp(path.join(os.tmpdir(), 'livegate-drill-'));
  const store = new FileKillSwitchStore({ stateDirectory });
  try {
    const killSwitch = await KillSwitch.open(store, { actor: 'drill' });
    const engine = new LiveEngine({
      killSwitch,
      strategy: new OneOrderPerTickStrategy(),
      broker: new PaperBroker(),
      engineId: `drill-${process.pid}`,
    });
    const feed = new SyntheticMarketFeed({ count: scenario.ticks, seed: 104 });
    const summary = await engine.run(engageBeforeTick(feed, scenario.killAtTick, killSwitch));
    killSwitch.close();
    const orders = summary.ordersSubmitted;
    const blocked = summary.ticksBlocked;
    return {
      scenario,
      orders,
      blocked,
      passed: orders === scenario.expectedOrders && blocked === scenario.expectedBlocked,
      summary,
    };
  } finally {
    await store.close();
    await rm(stateDirectory, { recursive: true, force: true });
  }
}

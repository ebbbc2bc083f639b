// Hand-written harness for the risk monitor tests: a real KillSwitch, a ManualClock and event builders.

import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { LivegateEvent, RiskLimitBreached } from '../../../src/core/events.js';
import type { KillSwitchStore } from '../../../src/core/ports.js';
import { signedQuantity, type Side, type Tick } from '../../../src/core/types.js';
import { KillSwitch } from '../../../src/killswitch/kill-switch.js';
import type { ConversionRates } from '../../../src/risk/conversion-rates.js';
import type { RiskMonitorOptions } from '../../../src/risk/monitor/risk-monitor-options.js';
import { RiskMonitor } from '../../../src/risk/monitor/risk-monitor.js';

/** Noon UTC, so a test has half a day before the daily roll unless it moves there on purpose. */
export const NOON = Date.UTC(2024, 0, 2, 12, 0, 0);

export function tickAt(symbol: string, mid: number, time = NOON): Tick {
  return { symbol, bid: mid - 0.5, ask: mid + 0.5, time };
}

export interface HarnessOptions {
  readonly store?: KillSwitchStore;
  readonly clock?: ManualClock;
  readonly flatten?: (reason: string) => number;
  readonly rates?: ConversionRates;
  readonly symbols?: readonly string[];
}

export type Harness = Awaited<ReturnType<typeof createHarness>>;

export async function createHarness(options: RiskMonitorOptions, extra: HarnessOptions = {}) {
  const store = extra.store ?? new MemoryKillSwitchStore();
  const clock = extra.clock ?? new ManualClock(NOON);
  const killSwitch = await KillSwitch.open(store, { actor: 'engine-a' });
  const events: LivegateEvent[] = [];
  const positions = new Map<string, number>();
  let orderNumber = 0;
  const monitor = new RiskMonitor(options, {
    killSwitch,
    engineId: 'engine-a',
    clock,
    // Like the engine's bus, the monitor hears its own events back.
    emit: (event) => {
      events.push(event);
      monitor.onEvent(event);
    },
    ...(extra.flatten === undefined ? {} : { flatten: extra.flatten }),
    ...(extra.rates === undefined ? {} : { rates: extra.rates }),
    ...(extra.symbols === undefined ? {} : { symbols: extra.symbols }),
  });
  const base = () => ({ time: clock.now(), engineId: 'engine-a' });
  return {
    store,
    clock,
    killSwitch,
    monitor,
    events,
    breaches: (): RiskLimitBreached[] =>
      events.filter((event): event is RiskLimitBreached => event.type === 'RiskLimitBreached'),
    tick(symbol: string, mid: number): void {
      monitor.observeTick(tickAt(symbol, mid, clock.now()));
    },
    /** A fill and the position after it, as the engine's position book would report it. */
    fill(symbol: string, side: Side, quantity: number, price: number): void {
      const position = (positions.get(symbol) ?? 0) + signedQuantity(side, quantity);
      positions.set(symbol, position);
      const orderId = `order-${++orderNumber}`;
      const fill = { orderId, symbol, side, quantity, price, time: clock.now() };
      monitor.onEvent({ type: 'OrderFilled', ...base(), fill, position });
    },
    submitted(latencyNs = 50_000): string {
      const id = `order-${++orderNumber}`;
      const order = {
        id,
        symbol: 'EURUSD',
        side: 'buy' as const,
        quantity: 1,
        type: 'market' as const,
        price: undefined,
        tag: undefined,
        createdAt: clock.now(),
      };
      monitor.onEvent({ type: 'OrderSubmitted', ...base(), order, latencyNs, revision: 1 });
      return id;
    },
    rejected(orderId = 'order-x'): void {
      monitor.onEvent({ type: 'OrderRejected', ...base(), orderId, reason: 'insufficient margin' });
    },
    strategyFailed(consecutiveErrors: number, message = 'boom'): void {
      monitor.onEvent({
        type: 'StrategyFailed',
        ...base(),
        message,
        tick: tickAt('EURUSD', 100, clock.now()),
        consecutiveErrors,
      });
    },
    /** The kill switch's latest stored record, after the monitor's changes have settled. */
    async lastRecord() {
      await monitor.settled();
      return (await store.history()).at(-1);
    },
    async reset(): Promise<void> {
      await monitor.settled();
      await killSwitch.reset('operator checked the book', 'alice');
    },
  };
}

/** A store whose writes fail on demand: the backend is down but reads still work. */
export class FailingWritesStore extends MemoryKillSwitchStore {
  failWrites = false;
  override update(decide: Parameters<MemoryKillSwitchStore['update']>[0]) {
    if (this.failWrites) return Promise.reject(new Error('store unreachable'));
    return super.update(decide);
  }
}

/** Polls with a deadline instead of sleeping for a fixed time. */
export async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

// Hand-written fakes and helpers shared by the engine tests (no mocking library).

import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import type { LivegateEvent, LivegateEventType } from '../../src/core/events.js';
import type { SignalResult, Strategy, StrategyContext } from '../../src/core/ports.js';
import type { Signal, Tick } from '../../src/core/types.js';
import { KillSwitch } from '../../src/killswitch/kill-switch.js';

export function tick(index: number, symbol = 'EURUSD'): Tick {
  const mid = 1.1 + index * 0.0001;
  return { symbol, bid: mid - 0.00005, ask: mid + 0.00005, time: 1_700_000_000_000 + index };
}

/** A tick at one price (bid = ask), for tests that move the mark by hand. */
export function tickAt(price: number, index: number, symbol = 'EURUSD'): Tick {
  return { symbol, bid: price, ask: price, time: 1_700_000_000_000 + index };
}

/** Polls until the condition holds, failing with `what` after the deadline. */
export async function until(
  what: string,
  condition: () => boolean,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function ticks(count: number, symbol = 'EURUSD'): Tick[] {
  return Array.from({ length: count }, (_, index) => tick(index + 1, symbol));
}

export function marketOrder(side: 'buy' | 'sell', quantity: number, symbol = 'EURUSD'): Signal {
  return { symbol, side, quantity, type: 'market' };
}

/** A strategy whose behaviour on each tick is a function the test supplies. */
export class ScriptedStrategy implements Strategy {
  readonly name = 'scripted';
  calls = 0;
  constructor(
    private readonly script: (
      tick: Tick,
      context: StrategyContext,
      call: number,
    ) => SignalResult | Promise<SignalResult>,
  ) {}
  onTick(tick: Tick, context: StrategyContext): SignalResult | Promise<SignalResult> {
    this.calls++;
    return this.script(tick, context, this.calls);
  }
}

export async function openKillSwitch(
  store = new MemoryKillSwitchStore(),
): Promise<{ store: MemoryKillSwitchStore; killSwitch: KillSwitch }> {
  return { store, killSwitch: await KillSwitch.open(store, { actor: 'test-engine' }) };
}

export function collect(subscribe: (listener: (event: LivegateEvent) => void) => () => void) {
  const events: LivegateEvent[] = [];
  subscribe((event) => events.push(event));
  return {
    events,
    ofType<T extends LivegateEventType>(type: T): Extract<LivegateEvent, { type: T }>[] {
      return events.filter(
        (event): event is Extract<LivegateEvent, { type: T }> => event.type === type,
      );
    },
  };
}

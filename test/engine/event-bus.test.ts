// The event bus delivers events in the order they were emitted, to every sink and listener alike.

import { describe, expect, it } from 'vitest';
import type { LivegateEvent } from '../../src/core/events.js';
import type { EventSink } from '../../src/core/ports.js';
import { EventBus } from '../../src/engine/event-bus.js';

function tickBlocked(symbol: string): LivegateEvent {
  return {
    type: 'TickBlocked',
    time: 0,
    engineId: 'engine-1',
    gate: 1,
    reason: 'KILL_SWITCH_ENGAGED',
    symbol,
    revision: 1,
  };
}

function symbolOf(event: LivegateEvent): string {
  return event.type === 'TickBlocked' ? event.symbol : event.type;
}

/** A sink that records, and emits `then` on the bus the first time it sees `when` (as a failing journal does). */
function recordingSink(seen: string[], reaction?: { when: string; then: () => void }): EventSink {
  let reacted = false;
  return {
    name: 'recording',
    write(event) {
      seen.push(symbolOf(event));
      if (reaction !== undefined && !reacted && symbolOf(event) === reaction.when) {
        reacted = true;
        reaction.then();
      }
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

describe('EventBus', () => {
  it('delivers an event emitted by a sink after the event that caused it, everywhere', () => {
    const first: string[] = [];
    const second: string[] = [];
    const listened: string[] = [];
    const sinks: EventSink[] = [];
    const bus = new EventBus(sinks);
    sinks.push(
      recordingSink(first, { when: 'B', then: () => bus.emit(tickBlocked('caused-by-B')) }),
      recordingSink(second),
    );
    bus.subscribe((event) => listened.push(symbolOf(event)));

    bus.emit(tickBlocked('A'));
    bus.emit(tickBlocked('B'));
    bus.emit(tickBlocked('C'));

    const expected = ['A', 'B', 'caused-by-B', 'C'];
    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
    expect(listened).toEqual(expected);
  });

  it('delivers events a listener emits after the current one, in the order emitted', () => {
    const bus = new EventBus([]);
    const seen: string[] = [];
    bus.subscribe((event) => {
      if (symbolOf(event) === 'A') {
        bus.emit(tickBlocked('A1'));
        bus.emit(tickBlocked('A2'));
      }
    });
    bus.subscribe((event) => seen.push(symbolOf(event)));
    bus.emit(tickBlocked('A'));
    expect(seen).toEqual(['A', 'A1', 'A2']);
  });
});

// The in-memory sink tests and drills assert on.

import { describe, expect, it } from 'vitest';
import { MemoryEventSink } from '../../src/adapters/sinks/memory-event-sink.js';
import { sampleEvent } from './journal-fixtures.js';

describe('MemoryEventSink', () => {
  it('keeps events in write order and filters them by type with the narrowed shape', async () => {
    const sink = new MemoryEventSink();
    for (let index = 0; index < 6; index++) sink.write(sampleEvent(index));
    await sink.flush();

    expect(sink.events.map((event) => event.time % 10)).toEqual([0, 1, 2, 3, 4, 5]);
    const denied = sink.ofType('OrderDenied');
    expect(denied).toHaveLength(2);
    expect(denied.map((event) => event.code)).toEqual([
      'MAX_NOTIONAL_EXCEEDED',
      'MAX_NOTIONAL_EXCEEDED',
    ]);
    expect(sink.ofType('Heartbeat')).toEqual([]);
  });

  it('forgets events on clear() and records that it was closed', async () => {
    const sink = new MemoryEventSink();
    sink.write(sampleEvent(0));
    sink.clear();
    expect(sink.events).toEqual([]);
    expect(sink.closed).toBe(false);
    await sink.close();
    expect(sink.closed).toBe(true);
  });
});

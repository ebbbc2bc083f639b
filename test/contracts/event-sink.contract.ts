// The EventSink contract: every sink keeps events in order, never throws from write(), flushes and closes.

import { describe, expect, it } from 'vitest';
import type { LivegateEvent } from '../../src/core/events.js';
import type { EventSink } from '../../src/core/ports.js';

export interface SinkUnderTest {
  readonly sink: EventSink;
  /** What the sink has made durable or visible so far, in order. */
  readBack(): Promise<LivegateEvent[]>;
  cleanup(): Promise<void>;
}

function tickBlocked(index: number): LivegateEvent {
  return {
    type: 'TickBlocked',
    time: 1_700_000_000_000 + index,
    engineId: 'contract',
    gate: 1,
    reason: 'KILL_SWITCH_ENGAGED',
    symbol: index % 2 === 0 ? 'EURUSD' : 'GBPUSD',
    revision: index,
  };
}

export function runEventSinkContract(name: string, open: () => Promise<SinkUnderTest>): void {
  describe(`EventSink contract: ${name}`, () => {
    it('has a readable name', async () => {
      const subject = await open();
      expect(subject.sink.name.length).toBeGreaterThan(0);
      await subject.sink.close();
      await subject.cleanup();
    });

    it('returns every written event, in order, once flushed', async () => {
      const subject = await open();
      const written = Array.from({ length: 1000 }, (_, index) => tickBlocked(index));
      for (const event of written) subject.sink.write(event);
      await subject.sink.flush();
      const read = await subject.readBack();
      expect(read.map((event) => (event as { revision: number }).revision)).toEqual(
        written.map((_, index) => index),
      );
      expect(read[0]).toMatchObject(written[0]!);
      await subject.sink.close();
      await subject.cleanup();
    });

    it('keeps what was written before close(), and close() can be awaited twice', async () => {
      const subject = await open();
      subject.sink.write(tickBlocked(1));
      await subject.sink.close();
      await subject.sink.close();
      expect(await subject.readBack()).toHaveLength(1);
      await subject.cleanup();
    });

    it('never throws from write(), even after close()', async () => {
      const subject = await open();
      await subject.sink.close();
      expect(() => subject.sink.write(tickBlocked(2))).not.toThrow();
      await subject.cleanup();
    });
  });
}

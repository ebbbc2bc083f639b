import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/engine/latency-histogram.js';
import {
  denialsBetween,
  encode,
  statsMessage,
  type Sample,
} from '../../src/http/routes/stream-messages.js';
import { engineUnderTest } from './support/control-fixture.js';

describe('SSE messages', () => {
  it('turns two samples into per-second rates and the interval percentiles in µs', async () => {
    const base = (await engineUnderTest()).view.summary();
    const histogram = new LatencyHistogram();
    for (let index = 0; index < 100; index++) histogram.record(1_000_000); // 1 ms, before
    const before: Sample = {
      at: 10_000,
      summary: { ...base, ticks: 1_000, ordersSubmitted: 10, ordersDenied: 2, ticksBlocked: 0 },
      latency: histogram.snapshot(),
    };
    for (let index = 0; index < 99; index++) histogram.record(20_000); // 20 µs, in the interval
    histogram.record(5_000_000); // one 5 ms outlier
    const now: Sample = {
      at: 10_500,
      summary: { ...base, ticks: 3_000, ordersSubmitted: 110, ordersDenied: 7, ticksBlocked: 50 },
      latency: histogram.snapshot(),
    };
    const message = statsMessage(before, now, 123);
    expect(message).toMatchObject({
      type: 'stats',
      time: 123,
      intervalMs: 500,
      ticksPerSecond: 4_000,
      ordersPerSecond: 200,
      deniedPerSecond: 10,
      blockedPerSecond: 100,
      ticks: 3_000,
      ordersSubmitted: 110,
      ordersDenied: 7,
      ticksBlocked: 50,
    });
    if (message.type !== 'stats') throw new Error('expected stats');
    // Bucket upper bounds: within ~1.6% above the recorded value, and the 1 ms values are history.
    expect(message.latencyP50Us).toBeGreaterThanOrEqual(20);
    expect(message.latencyP50Us).toBeLessThan(20.5);
    expect(message.latencyP99Us).toBeLessThan(21);
  });

  it('reports no percentiles for an interval without orders', async () => {
    const base = (await engineUnderTest()).view.summary();
    const histogram = new LatencyHistogram();
    histogram.record(1_000);
    const sample: Sample = { at: 0, summary: base, latency: histogram.snapshot() };
    const message = statsMessage(sample, { ...sample, at: 1_000 }, 0);
    expect(message).toMatchObject({ latencyP50Us: null, latencyP99Us: null, ticksPerSecond: 0 });
  });

  it('keeps only the codes that grew within the interval', () => {
    expect(
      denialsBetween(
        { 'gate1:KILL_SWITCH_ENGAGED': 5, 'gate2:MAX_NOTIONAL_EXCEEDED': 1 },
        {
          'gate1:KILL_SWITCH_ENGAGED': 9,
          'gate2:MAX_NOTIONAL_EXCEEDED': 1,
          'gate3:KILL_SWITCH_REDUCING': 2,
        },
      ),
    ).toEqual({ 'gate1:KILL_SWITCH_ENGAGED': 4, 'gate3:KILL_SWITCH_REDUCING': 2 });
  });

  it('encodes the event name and the rest of the message as one data line', () => {
    const text = encode({
      type: 'risk',
      time: 1,
      rule: 'r',
      action: 'alert',
      value: 2,
      threshold: 1,
      message: 'two\nlines',
    });
    expect(text).toBe(
      'event: risk\ndata: {"time":1,"rule":"r","action":"alert","value":2,"threshold":1,"message":"two\\nlines"}\n\n',
    );
  });
});

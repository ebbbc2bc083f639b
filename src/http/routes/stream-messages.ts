// The SSE messages the ControlStream sends, built from two samples of the engine: pure functions.

import type { RunSummary } from '../../core/events.js';
import { intervalValueAt, type LatencySnapshot } from '../../engine/latency-histogram.js';
import type { ControlMessage } from '../control-messages.js';

/** What the aggregator reads from the engine once per interval. */
export interface Sample {
  /** Monotonic ms. */
  readonly at: number;
  readonly summary: RunSummary;
  readonly latency: LatencySnapshot;
}

/** `event: <type>` and `data: <JSON of the rest>`; JSON has no raw newlines, so one data line. */
export function encode(message: ControlMessage): string {
  const { type, ...rest } = message;
  return `event: ${type}\ndata: ${JSON.stringify(rest)}\n\n`;
}

export function stateKey(message: ControlMessage): string {
  if (message.type !== 'state') return '';
  return `${message.record?.revision ?? 0}|${message.enforcedState}|${message.failure ?? ''}`;
}

export function statsMessage(before: Sample, now: Sample, time: number): ControlMessage {
  const elapsedMs = now.at - before.at;
  const perSecond = (newer: number, older: number): number =>
    elapsedMs > 0 ? round2((Math.max(0, newer - older) * 1000) / elapsedMs) : 0;
  const b = before.summary;
  const n = now.summary;
  return {
    type: 'stats',
    time,
    intervalMs: Math.round(elapsedMs),
    ticksPerSecond: perSecond(n.ticks, b.ticks),
    ordersPerSecond: perSecond(n.ordersSubmitted, b.ordersSubmitted),
    deniedPerSecond: perSecond(n.ordersDenied, b.ordersDenied),
    blockedPerSecond: perSecond(n.ticksBlocked, b.ticksBlocked),
    latencyP50Us: microseconds(intervalValueAt(now.latency, before.latency, 0.5)),
    latencyP99Us: microseconds(intervalValueAt(now.latency, before.latency, 0.99)),
    ticks: n.ticks,
    ordersSubmitted: n.ordersSubmitted,
    ordersDenied: n.ordersDenied,
    ticksBlocked: n.ticksBlocked,
  };
}

export function denialsBetween(
  older: Readonly<Record<string, number>>,
  newer: Readonly<Record<string, number>>,
): Record<string, number> {
  const byCode: Record<string, number> = {};
  for (const [code, count] of Object.entries(newer)) {
    const delta = count - (older[code] ?? 0);
    if (delta > 0) byCode[code] = delta;
  }
  return byCode;
}

function microseconds(nanoseconds: number | null): number | null {
  return nanoseconds === null ? null : round2(nanoseconds / 1000);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

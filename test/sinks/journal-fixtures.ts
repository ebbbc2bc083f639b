// Shared helpers for the sink tests: sample events, scratch directories, polling with a deadline.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LivegateEvent } from '../../src/core/events.js';

/** A mix of event shapes, with a multi-byte string so byte counting is exercised. */
export function sampleEvent(index: number): LivegateEvent {
  const time = 1_700_000_000_000 + index;
  switch (index % 3) {
    case 0:
      return {
        type: 'OrderSubmitted',
        time,
        engineId: 'engine-1',
        order: {
          id: `order-${index}`,
          symbol: 'EURUSD',
          side: 'buy',
          quantity: 1000,
          type: 'market',
          price: undefined,
          tag: 'über ✓',
          createdAt: time,
        },
        latencyNs: 12_345,
        revision: 3,
      };
    case 1:
      return {
        type: 'TickBlocked',
        time,
        engineId: 'engine-1',
        gate: 1,
        reason: 'KILL_SWITCH_ENGAGED',
        symbol: 'GBPUSD',
        revision: 4,
      };
    default:
      return {
        type: 'OrderDenied',
        time,
        engineId: 'engine-1',
        gate: 2,
        code: 'MAX_NOTIONAL_EXCEEDED',
        symbol: 'USDJPY',
        side: 'sell',
        quantity: 5,
        price: 150.25,
        revision: 4,
        details: { limit: 100, actual: 751.25 },
      };
  }
}

export interface ScratchDirectories {
  create(): Promise<string>;
  removeAll(): Promise<void>;
}

export function scratchDirectories(): ScratchDirectories {
  const created: string[] = [];
  return {
    async create() {
      const directory = await mkdtemp(join(tmpdir(), 'livegate-journal-'));
      created.push(directory);
      return directory;
    },
    async removeAll() {
      await Promise.all(
        created.splice(0).map((directory) => rm(directory, { recursive: true, force: true })),
      );
    },
  };
}

/** Polls `check` until it returns a value, failing after `timeoutMs`. */
export async function waitFor<T>(
  description: string,
  check: () => T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Lets sonic-boom's writes and the rotation's file swaps run between bursts of events. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A critical event (never dropped by the streaming sinks), numbered by `index`. */
export function riskLimitBreached(
  index: number,
  engineId = 'engine-1',
): Extract<LivegateEvent, { type: 'RiskLimitBreached' }> {
  return {
    type: 'RiskLimitBreached',
    time: 1_700_000_000_000 + index,
    engineId,
    rule: 'dailyLoss',
    action: 'engage',
    value: index,
    threshold: 100,
    message: `breach ${index}`,
  };
}

/** from, from + 1, ..., to. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

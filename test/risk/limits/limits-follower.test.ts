// An engine's limits follower: the stored revision wins at start, a revision the chain refuses
// changes nothing and is reported once (never confirmed), and the next valid one is applied.
import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import { systemClock } from '../../../src/core/clock.js';
import type { LimitsApplied, LimitsApplyFailed } from '../../../src/core/events.js';
import type { LimitsRecord } from '../../../src/core/limits-record.js';
import { LimitsFollower } from '../../../src/risk/limits/limits-follower.js';
import { PreTradeRiskEngine } from '../../../src/risk/pre-trade/pre-trade-risk-engine.js';

function record(revision: number, preTrade: Record<string, unknown>): LimitsRecord {
  return {
    revision,
    limits: { preTrade },
    reason: `r${revision}`,
    by: 'tester',
    at: new Date(0).toISOString(),
    host: 'h',
    pid: 1,
    diff: [],
    loosens: false,
  };
}

describe('LimitsFollower', () => {
  it('starts from the stored revision, keeps its limits on a bad one, then applies the next', async () => {
    const store = new MemoryKillSwitchStore().limits;
    await store.append(record(1, { defaults: { maxQuantity: 5 } }));
    const chain = new PreTradeRiskEngine({ defaults: { maxQuantity: 100 } });
    const events: (LimitsApplied | LimitsApplyFailed)[] = [];
    let reports = 0;
    const follower = new LimitsFollower({
      store,
      engineId: 'e',
      // Reads are scheduled on the monotonic clock: a manual one would never poll again.
      clock: systemClock,
      pollIntervalMs: 10,
      leaseMs: 20,
      configLimits: { preTrade: {} },
      apply: (limits, now) => chain.applyLimits(limits, now),
      emit: (event) => events.push(event),
      applied: () => (reports += 1),
    });
    await follower.load();
    expect(follower.revision).toBe(1);
    expect(chain.limitsFor('EURUSD')?.maxQuantity).toBe(5);
    expect(events[0]).toMatchObject({ type: 'LimitsApplied', revision: 1, when: 'start' });

    // Valid JSON the chain refuses (a negative maximum): nothing changes, nothing is confirmed.
    await store.append(record(2, { defaults: { maxQuantity: -1 } }));
    follower.start();
    await expect.poll(() => events.length, { timeout: 5_000 }).toBe(2);
    expect(events[1]).toMatchObject({ type: 'LimitsApplyFailed', revision: 2 });
    expect(follower.revision).toBe(1);
    expect(chain.limitsFor('EURUSD')?.maxQuantity).toBe(5);

    await store.append(record(3, { defaults: { maxQuantity: 2 } }));
    await expect.poll(() => follower.revision, { timeout: 5_000 }).toBe(3);
    follower.stop();
    expect(chain.limitsFor('EURUSD')?.maxQuantity).toBe(2);
    // Reported once per failed revision, and a report published for each applied one.
    expect(events.map((e) => e.type)).toEqual([
      'LimitsApplied',
      'LimitsApplyFailed',
      'LimitsApplied',
    ]);
    expect(reports).toBe(2);
  });
});

describe('LimitsFollower lease', () => {
  it('runs out during an event-loop block longer than leaseMs and comes back with the new revision', async () => {
    const store = new MemoryKillSwitchStore().limits;
    await store.append(record(1, { defaults: { maxQuantity: 5 } }));
    const chain = new PreTradeRiskEngine({ defaults: { maxQuantity: 100 } });
    const follower = new LimitsFollower({
      store,
      engineId: 'e',
      clock: systemClock,
      pollIntervalMs: 20,
      leaseMs: 50,
      configLimits: { preTrade: {} },
      apply: (limits, now) => chain.applyLimits(limits, now),
      emit: () => undefined,
      applied: () => undefined,
    });
    await follower.load();
    follower.start();
    await expect
      .poll(() => systemClock.monotonic() <= follower.leaseExpiresAt, { timeout: 5_000 })
      .toBe(true);
    // A tighter revision lands while this loop is blocked (as a SIGSTOP or a stuck strategy would).
    await store.append(record(2, { defaults: { maxQuantity: 2 } }));
    const blockedUntil = systemClock.monotonic() + 200;
    while (systemClock.monotonic() < blockedUntil) {
      // busy: no timer, no read
    }
    expect(systemClock.monotonic() > follower.leaseExpiresAt).toBe(true);
    expect(chain.limitsFor('EURUSD')?.maxQuantity).toBe(5);
    follower.refresh();
    await expect
      .poll(() => systemClock.monotonic() <= follower.leaseExpiresAt, { timeout: 5_000 })
      .toBe(true);
    // Leased again only with the revision the store held when the renewing read was issued.
    expect(follower.revision).toBe(2);
    expect(chain.limitsFor('EURUSD')?.maxQuantity).toBe(2);
    follower.stop();
  });

  it('is not renewed while the store cannot be read', async () => {
    const store = new MemoryKillSwitchStore().limits;
    let reachable = true;
    const flaky = {
      ...store,
      latest: () => (reachable ? store.latest() : Promise.reject(new Error('unreachable'))),
    } as typeof store;
    const follower = new LimitsFollower({
      store: flaky,
      engineId: 'e',
      clock: systemClock,
      pollIntervalMs: 20,
      leaseMs: 50,
      configLimits: { preTrade: {} },
      apply: () => undefined,
      emit: () => undefined,
      applied: () => undefined,
    });
    await follower.load();
    follower.start();
    reachable = false;
    await expect
      .poll(() => systemClock.monotonic() > follower.leaseExpiresAt, { timeout: 5_000 })
      .toBe(true);
    reachable = true;
    await expect
      .poll(() => systemClock.monotonic() <= follower.leaseExpiresAt, { timeout: 5_000 })
      .toBe(true);
    follower.stop();
  });
});

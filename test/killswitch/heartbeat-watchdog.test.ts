import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import { ManualClock } from '../../src/core/clock.js';
import type { EngineReport } from '../../src/core/kill-switch-record.js';
import { HeartbeatWatchdog, type WatchdogEvent } from '../../src/killswitch/heartbeat-watchdog.js';
import { resetDecision } from '../../src/killswitch/transitions.js';

function report(engineId: string, reportedAt: number, extra: Partial<EngineReport> = {}) {
  return {
    engineId,
    host: 'other-host',
    pid: 4242,
    startedAt: new Date(0).toISOString(),
    reportedAt,
    observedRevision: 1,
    observedAt: reportedAt,
    enforcedState: 'SAFE',
    failClosed: false,
    stats: {},
    ...extra,
  } satisfies EngineReport;
}

function setUp(scope = 'global', processExists = () => true) {
  const store = new MemoryKillSwitchStore();
  const clock = new ManualClock(1_000);
  const events: WatchdogEvent[] = [];
  const watchdog = new HeartbeatWatchdog({
    store,
    scope,
    staleAfterMs: 3_000,
    actor: 'watchdog@test',
    clock,
    localProcesses: {
      hostname: os.hostname(),
      own: undefined,
      exists: processExists,
      startTicks: () => undefined,
    },
    onEvent: (event) => events.push(event),
  });
  return { store, clock, events, watchdog };
}

describe('HeartbeatWatchdog', () => {
  it('engages the scope once when an engine stops heartbeating, by its own clock', async () => {
    const { store, clock, events, watchdog } = await Promise.resolve(setUp());
    await store.update(resetDecision('start', 'ops'));
    // A report stamped far in the future (clock skew) is still judged by whether it changes.
    await store.publishEngineReport(report('engine-a', 9e12));
    await watchdog.check();
    clock.advance(2_999);
    await watchdog.check();
    expect((await store.read())?.state).toBe('SAFE');
    clock.advance(2);
    await watchdog.check();
    const record = await store.read();
    expect(record).toMatchObject({ state: 'ENGAGED', trigger: 'watchdog', by: 'watchdog@test' });
    expect(record?.reason).toMatch(/engine-a no heartbeat for 3001 ms \(limit 3000 ms\)/);
    clock.advance(10_000);
    await watchdog.check();
    expect((await store.history()).length).toBe(2);
    expect(events.map((event) => event.type)).toEqual([
      'engine-seen',
      'engine-stale',
      'scope-engaged',
    ]);
  });

  it('never fires while reports keep changing, and notes a recovery', async () => {
    const { store, clock, events, watchdog } = setUp();
    await store.update(resetDecision('start', 'ops'));
    for (let beat = 0; beat < 20; beat++) {
      await store.publishEngineReport(report('engine-a', beat));
      await watchdog.check();
      clock.advance(1_000);
    }
    expect((await store.read())?.state).toBe('SAFE');
    expect(events.map((event) => event.type)).toEqual(['engine-seen']);
  });

  it('treats a vanished report as a clean shutdown, and a dead same-host pid as stale at once', async () => {
    let alive = true;
    const { store, events, watchdog } = setUp('global', () => alive);
    await store.update(resetDecision('start', 'ops'));
    await store.publishEngineReport(
      report('engine-a', 1, { host: (await import('node:os')).hostname() }),
    );
    await store.publishEngineReport(report('engine-b', 1));
    await watchdog.check();
    await store.removeEngineReport('engine-b');
    await watchdog.check();
    expect(events.at(-1)).toEqual({ type: 'engine-withdrawn', engineId: 'engine-b' });
    expect((await store.read())?.state).toBe('SAFE');
    alive = false;
    await watchdog.check();
    expect(await store.read()).toMatchObject({ state: 'ENGAGED' });
    expect((await store.read())?.reason).toMatch(/process 4242 .* is gone/);
  });

  it('watches only engines under its scope', async () => {
    const { store, clock, watchdog } = setUp('desk:fx');
    await store.update(resetDecision('start', 'ops'));
    await store.publishEngineReport(report('eq-1', 1, { scopes: { global: 1, 'desk:eq': 1 } }));
    await watchdog.check();
    clock.advance(60_000);
    await watchdog.check();
    expect((await store.read())?.state).toBe('SAFE');
    await store.publishEngineReport(report('fx-1', 1, { scopes: { global: 1, 'desk:fx': 1 } }));
    await watchdog.check();
    clock.advance(60_000);
    await watchdog.check();
    expect((await store.read())?.state).toBe('ENGAGED');
  });
});

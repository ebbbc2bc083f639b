import type { KillSwitchStore } from '../../src/core/ports.js';
import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import { scopesOfEngine } from '../../src/core/scopes.js';
import { EngineReporter } from '../../src/engine/engine-reporter.js';
import { systemClock } from '../../src/core/clock.js';
import { awaitConfirmations } from '../../src/killswitch/confirmations.js';
import { ScopedKillSwitch } from '../../src/killswitch/scoped-kill-switch.js';
import { engageDecision, reduceDecision, resetDecision } from '../../src/killswitch/transitions.js';
import { EngineCounters } from '../../src/engine/engine-counters.js';
import type { LivegateEvent } from '../../src/core/events.js';
import { failClosedTrigger } from '../../src/core/kill-switch-record.js';

async function stacked(primaryScope = 'global', desk: string | null = 'fx') {
  const scopes = scopesOfEngine('engine-a', desk);
  const stores = new Map(scopes.map((scope) => [scope, new MemoryKillSwitchStore()]));
  const killSwitch = await ScopedKillSwitch.open(
    scopes.map((scope) => ({ scope, store: stores.get(scope)! })),
    { actor: 'engine-a', primaryScope },
  );
  killSwitch.watch();
  const store = (scope: string) => stores.get(scope)!;
  return { killSwitch, store };
}

describe('ScopedKillSwitch', () => {
  it('stacks global > desk > engine and opens SAFE in each, at revision 1', async () => {
    const { killSwitch } = await stacked();
    expect(killSwitch.scopeNames()).toEqual(['global', 'desk:fx', 'engine:engine-a']);
    expect(killSwitch.state).toBe('SAFE');
    expect(killSwitch.scopeRevisions()).toEqual({
      global: 1,
      'desk:fx': 1,
      'engine:engine-a': 1,
    });
  });

  it('blocks the engine when its desk is ENGAGED by another process, naming the deciding scope', async () => {
    const { killSwitch, store } = await stacked();
    const changes: string[] = [];
    killSwitch.onChange((change) => changes.push(change.enforcedState));
    await store('desk:fx').update(engageDecision('desk limit', 'desk-head', 'manual'));
    expect(killSwitch.state).toBe('ENGAGED');
    expect(killSwitch.decidingScope).toBe('desk:fx');
    expect(killSwitch.record?.reason).toBe('desk limit');
    expect(changes).toEqual(['ENGAGED']);
    expect(killSwitch.scopeRevisions()).toMatchObject({ global: 1, 'desk:fx': 2 });
  });

  it('enforces the strictest scope: global ENGAGED over engine REDUCING, REDUCING once global resets', async () => {
    const { killSwitch, store } = await stacked();
    await store('engine:engine-a').update(reduceDecision('trim', 'risk', 'manual'));
    expect(killSwitch.state).toBe('REDUCING');
    await store('global').update(engageDecision('firm-wide stop', 'cro', 'manual'));
    expect(killSwitch.state).toBe('ENGAGED');
    expect(killSwitch.decidingScope).toBe('global');
    await store('global').update(resetDecision('all clear', 'cro'));
    expect(killSwitch.state).toBe('REDUCING');
    expect(killSwitch.decidingScope).toBe('engine:engine-a');
  });

  it('closes the gates synchronously on its own engage, and writes only to the primary scope', async () => {
    const { killSwitch, store } = await stacked('engine:engine-a');
    const pending = killSwitch.engage('drawdown', 'engine-a/risk-monitor', 'risk:maxDrawdown');
    expect(killSwitch.level).toBe(2);
    const record = await pending;
    expect(record).toMatchObject({ revision: 2, trigger: 'risk:maxDrawdown' });
    expect((await store('engine:engine-a').read())?.state).toBe('ENGAGED');
    expect((await store('global').read())?.state).toBe('SAFE');
    expect((await store('desk:fx').read())?.state).toBe('SAFE');
  });

  it('fails closed when any one scope is unreadable, and says why', async () => {
    const { killSwitch, store } = await stacked();
    store('desk:fx').simulateUnreadable('disk gone');
    expect(killSwitch.state).toBe('ENGAGED');
    expect(killSwitch.failClosedReason?.code).toBe('ERR_STATE_UNREADABLE');
    store('desk:fx').restoreReadable();
    // Latched: only a newer revision in that scope (an operator reset) clears it.
    expect(killSwitch.state).toBe('ENGAGED');
    await store('desk:fx').update(resetDecision('disk back', 'ops'));
    expect(killSwitch.state).toBe('SAFE');
  });

  it('confirms per scope: an engine outside desk:eq is not waited for, one inside is', async () => {
    const { killSwitch, store } = await stacked('global', 'eq');
    const reports = new MemoryKillSwitchStore();
    const counters = new EngineCounters();
    const summary = () => counters.summary(0, killSwitch.state, killSwitch.revision);
    const reporter = new EngineReporter({
      engineId: 'engine-a',
      // Not a spread: getters must stay live, or the report would freeze the state it had here.
      killSwitch: delegate(killSwitch, reports),
      clock: systemClock,
      intervalMs: 60_000,
      summary,
      emit: () => undefined,
    });
    reporter.start();
    // Membership is fixed when the change is written: wait until this engine is registered.
    for (let attempt = 0; (await reports.listEngineReports()).length === 0; attempt++) {
      if (attempt > 500) throw new Error('engine-a never registered');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const issuedAt = Date.now();
    const { record } = await store('desk:eq').update(engageDecision('eq halt', 'ops', 'manual'));
    const confirmed = await awaitConfirmations(reports, record.revision, {
      scope: 'desk:eq',
      timeoutMs: 2_000,
      expectedState: 'ENGAGED',
      issuedAt,
      acknowledgedAt: Date.now(),
    });
    expect(confirmed.confirmed.map((engine) => engine.engineId)).toEqual(['engine-a']);
    expect(confirmed.missing).toEqual([]);
    const elsewhere = await awaitConfirmations(reports, 2, {
      scope: 'desk:fx',
      timeoutMs: 50,
      expectedState: 'ENGAGED',
      issuedAt,
      acknowledgedAt: Date.now(),
    });
    expect(elsewhere.confirmed).toEqual([]);
    expect(elsewhere.missing).toEqual([]);
    reporter.stop();
  });
});

/** The reporter publishes to the kill switch's store; route that to a shared report store. */
function delegate(killSwitch: ScopedKillSwitch, store: KillSwitchStore) {
  return {
    store,
    get level() {
      return killSwitch.level;
    },
    get state() {
      return killSwitch.state;
    },
    get record() {
      return killSwitch.record;
    },
    get revision() {
      return killSwitch.revision;
    },
    get failClosedReason() {
      return killSwitch.failClosedReason;
    },
    get appliedAt() {
      return killSwitch.appliedAt;
    },
    get leaseExpiresAt() {
      return killSwitch.leaseExpiresAt;
    },
    refresh: () => killSwitch.refresh(),
    readNow: (withinMs: number) => killSwitch.readNow(withinMs),
    primaryScope: killSwitch.primaryScope,
    scopeRevisions: () => killSwitch.scopeRevisions(),
    onChange: (listener: Parameters<ScopedKillSwitch['onChange']>[0]) =>
      killSwitch.onChange(listener),
    watch: () => killSwitch.watch(),
    engage: killSwitch.engage.bind(killSwitch),
    reduce: killSwitch.reduce.bind(killSwitch),
    reset: killSwitch.reset.bind(killSwitch),
    close: () => killSwitch.close(),
  };
}

describe('failClosedTrigger', () => {
  it('names why the gates closed by themselves, from the error that latched them', () => {
    expect(failClosedTrigger('ERR_STORE_UNREACHABLE')).toBe('store-unreachable');
    expect(failClosedTrigger('ERR_STATE_WRITE_FAILED')).toBe('state-write-failed');
    expect(failClosedTrigger('ERR_STATE_UNREADABLE')).toBe('state-unreadable');
  });

  it('is on the KillSwitchFailedClosed event an engine emits', async () => {
    const store = new MemoryKillSwitchStore();
    const { KillSwitch } = await import('../../src/killswitch/kill-switch.js');
    const killSwitch = await KillSwitch.open(store, { actor: 'engine-f' });
    killSwitch.watch();
    const counters = new EngineCounters();
    const events: LivegateEvent[] = [];
    const reporter = new EngineReporter({
      engineId: 'engine-f',
      killSwitch,
      clock: systemClock,
      intervalMs: 60_000,
      summary: () => counters.summary(0, killSwitch.state, killSwitch.revision),
      emit: (event) => events.push(event),
    });
    reporter.start();
    store.simulateUnreadable('disk gone');
    reporter.stop();
    killSwitch.close();
    expect(events.find((event) => event.type === 'KillSwitchFailedClosed')).toMatchObject({
      trigger: 'state-unreadable',
      errorCode: 'ERR_STATE_UNREADABLE',
    });
  });
});

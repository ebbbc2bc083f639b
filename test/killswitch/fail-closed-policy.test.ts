// Issue 9, scenarios 6 and 7: the fail-closed latch clears only through an operator's reset written
// after the failure (by revision and generation, never by wall clock), and a throwing listener
// never stops a change from being written.
import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { KillSwitch } from '../../src/killswitch/kill-switch.js';
import { ScopedKillSwitch } from '../../src/killswitch/scoped-kill-switch.js';
import { reduceDecision, resetDecision } from '../../src/killswitch/transitions.js';

async function until(condition: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const QUICK = { failClosedAfterMs: 200, leaseMs: 100, pollIntervalMs: 20 };

describe('the fail-closed latch', () => {
  it('is not cleared by a REDUCING another engine writes (the reconciliation rule does that on its own)', async () => {
    const store = new MemoryKillSwitchStore();
    const engine = await KillSwitch.open(store, { actor: 'engine-a', contact: QUICK });
    engine.watch();
    store.simulateUnreadable('disk glitch');
    await until(() => engine.failClosedReason !== null, 'the latch');
    store.restoreReadable();
    await store.update(
      reduceDecision('reconciliation mismatch', 'engine-b/risk', 'risk:reconciliation'),
    );
    await until(() => engine.record?.state === 'REDUCING', 'the REDUCING record at engine-a');
    expect(engine.state).toBe('ENGAGED');
    expect(engine.failClosedReason?.code).toBe('ERR_STATE_UNREADABLE');
    await store.update(resetDecision('checked the disk', 'operator'));
    await until(() => engine.state === 'SAFE', 'SAFE after the reset');
    expect(engine.failClosedReason).toBeNull();
    engine.close();
  });

  it('does not release an engine that started on unreadable state when it then reads an older SAFE stamped 60 s in the future', async () => {
    const ahead = new ManualClock(Date.now() + 60_000);
    const store = new MemoryKillSwitchStore({ clock: ahead });
    await store.update(resetDecision('written by a host whose clock runs 60 s ahead', 'operator'));
    store.simulateUnreadable('mid-repair');
    const engine = await KillSwitch.open(store, { actor: 'engine-a', contact: QUICK });
    engine.watch();
    expect(engine.state).toBe('ENGAGED');
    store.restoreReadable();
    await until(() => engine.record !== null, 'the first readable record');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(engine.state).toBe('ENGAGED');
    expect(engine.record?.revision).toBe(1);
    await store.update(resetDecision('state checked', 'operator'));
    await until(() => engine.state === 'SAFE', 'SAFE after a reset written after the failure');
    engine.close();
  });

  it('is one latch per engine: a global reset releases a failure that latched through the engine scope', async () => {
    const stores = new Map(
      ['global', 'desk:fx', 'engine:e1'].map((scope) => [scope, new MemoryKillSwitchStore()]),
    );
    const engine = await ScopedKillSwitch.open(
      [...stores].map(([scope, store]) => ({ scope, store })),
      { actor: 'e1', primaryScope: 'engine:e1', contact: QUICK },
    );
    engine.watch();
    stores.get('engine:e1')?.simulateUnreadable('engine scope damaged');
    await until(() => engine.failClosedReason !== null, 'the latch');
    stores.get('engine:e1')?.restoreReadable();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(engine.state).toBe('ENGAGED');
    await stores.get('global')?.update(resetDecision('all clear', 'operator'));
    await until(() => engine.state === 'SAFE', 'SAFE after one global reset');
    expect(engine.failClosedReason).toBeNull();
    engine.close();
  });
});

describe('listeners', () => {
  it('a throwing change listener neither stops the engage from being written nor other engines from seeing it', async () => {
    const store = new MemoryKillSwitchStore();
    const errors: unknown[] = [];
    const first = await KillSwitch.open(store, {
      actor: 'engine-a',
      onListenerError: (error) => errors.push(error),
    });
    const second = await KillSwitch.open(store, { actor: 'engine-b' });
    second.watch();
    const heard: string[] = [];
    first.onChange(() => {
      throw new Error('listener bug');
    });
    first.onChange((change) => heard.push(change.enforcedState));
    const record = await first.engage('runaway', 'alice');
    expect(record.state).toBe('ENGAGED');
    expect((await store.read())?.state).toBe('ENGAGED');
    await until(() => second.state === 'ENGAGED', 'the other engine to see the engage');
    expect(first.listenerFailures).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBe(first.listenerFailures);
    expect(heard).toContain('ENGAGED');
    // And the switch can still be released: nothing was left half-done.
    await first.reset('handled', 'alice');
    expect(first.state).toBe('SAFE');
    first.close();
    second.close();
  });
});

describe('tightening text', () => {
  it('closes the gates and writes the engage even when a strategy gives no reason', async () => {
    const store = new MemoryKillSwitchStore();
    const engine = await KillSwitch.open(store, { actor: 'engine-a' });
    const pending = engine.engage('   ', '');
    expect(engine.state).toBe('ENGAGED');
    const record = await pending;
    expect(record).toMatchObject({ state: 'ENGAGED', reason: '(no reason given)', by: 'engine-a' });
    engine.close();
  });
});

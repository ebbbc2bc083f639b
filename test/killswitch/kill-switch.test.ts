import { describe, expect, it } from 'vitest';
import { KillSwitch } from '../../src/killswitch/kill-switch.js';
import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import { LivegateError } from '../../src/core/errors.js';
import type { KillSwitchStore } from '../../src/core/ports.js';

async function openSwitch(
  store: KillSwitchStore = new MemoryKillSwitchStore(),
  startEngaged = false,
) {
  const killSwitch = await KillSwitch.open(store, { actor: 'engine-a', startEngaged });
  return { store, killSwitch };
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe('KillSwitch', () => {
  it('creates SAFE at revision 1 on first start, recording the startup', async () => {
    const { killSwitch } = await openSwitch();
    expect(killSwitch.state).toBe('SAFE');
    expect(killSwitch.record).toMatchObject({
      revision: 1,
      state: 'SAFE',
      trigger: 'startup',
      by: 'engine-a',
      pid: process.pid,
    });
  });

  it('creates ENGAGED on first start when startEngaged is set', async () => {
    const { killSwitch } = await openSwitch(new MemoryKillSwitchStore(), true);
    expect(killSwitch.state).toBe('ENGAGED');
    expect(killSwitch.record?.trigger).toBe('startup');
  });

  it('closes the gates synchronously, before engage() has even resolved', async () => {
    const { killSwitch } = await openSwitch();
    const pending = killSwitch.engage('runaway', 'alice');
    expect(killSwitch.state).toBe('ENGAGED');
    const record = await pending;
    expect(record).toMatchObject({
      revision: 2,
      state: 'ENGAGED',
      reason: 'runaway',
      by: 'alice',
      trigger: 'manual',
    });
    expect(Date.parse(record.at)).not.toBeNaN();
    expect(record.host.length).toBeGreaterThan(0);
  });

  it('walks every transition with monotonic revisions and stays latched until a named reset', async () => {
    const { killSwitch } = await openSwitch();
    await killSwitch.reduce('cut risk', 'bob');
    expect(killSwitch.state).toBe('REDUCING');
    await killSwitch.engage('stop', 'bob', 'risk:drawdown');
    expect(killSwitch.state).toBe('ENGAGED');
    expect(killSwitch.record?.trigger).toBe('risk:drawdown');
    const engagedRevision = killSwitch.revision;
    await killSwitch.reduce('try to loosen', 'mallory');
    await killSwitch.engage('again', 'carol');
    expect(killSwitch.state).toBe('ENGAGED');
    expect(killSwitch.revision).toBe(engagedRevision);
    expect(killSwitch.record?.reason).toBe('stop');
    await expect(killSwitch.reset('', 'dave')).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await expect(killSwitch.reset('all clear', '  ')).rejects.toMatchObject({ code: 'ERR_USAGE' });
    expect(killSwitch.state).toBe('ENGAGED');
    await killSwitch.reset('all clear', 'dave');
    expect(killSwitch.state).toBe('SAFE');
    expect(killSwitch.record).toMatchObject({
      revision: engagedRevision + 1,
      by: 'dave',
      trigger: 'manual',
    });
    const history = await killSwitch.store.history();
    expect(history.map((record) => record.revision)).toEqual([1, 2, 3, 4]);
    expect(history.map((record) => record.state)).toEqual(['SAFE', 'REDUCING', 'ENGAGED', 'SAFE']);
  });

  it('opens the gates on reset only once the store has made it durable', async () => {
    const { killSwitch } = await openSwitch();
    await killSwitch.engage('stop', 'alice');
    const pending = killSwitch.reset('resume', 'alice');
    expect(killSwitch.state).toBe('ENGAGED');
    await pending;
    expect(killSwitch.state).toBe('SAFE');
  });

  it('applies changes written through the same store by another switch', async () => {
    const store = new MemoryKillSwitchStore();
    const { killSwitch } = await openSwitch(store);
    killSwitch.watch();
    const operator = await KillSwitch.open(store, { actor: 'cli' });
    await operator.engage('from elsewhere', 'ops');
    await until(() => killSwitch.state === 'ENGAGED');
    expect(killSwitch.revision).toBe(operator.revision);
    killSwitch.close();
  });

  it('fails closed when the state is unreadable at start, until a newer revision is written', async () => {
    const store = new MemoryKillSwitchStore();
    await (await openSwitch(store)).killSwitch.engage('x', 'y');
    await store.update(() => ({ state: 'SAFE', reason: 'r', by: 'ops', trigger: 'manual' }));
    store.simulateUnreadable('disk said no');
    const { killSwitch } = await openSwitch(store);
    expect(killSwitch.state).toBe('ENGAGED');
    expect(killSwitch.failClosedReason?.code).toBe('ERR_STATE_UNREADABLE');
    killSwitch.watch();
    store.restoreReadable();
    const operator = await KillSwitch.open(store, { actor: 'cli' });
    await operator.reset('repaired', 'ops');
    await until(() => killSwitch.state === 'SAFE');
    expect(killSwitch.failClosedReason).toBeNull();
    killSwitch.close();
  });

  it('fails closed when the state becomes unreadable while running, and a re-read of the same revision does not clear it', async () => {
    const store = new MemoryKillSwitchStore();
    const { killSwitch } = await openSwitch(store);
    killSwitch.watch();
    await until(() => killSwitch.revision === 1);
    store.simulateUnreadable('corrupt');
    await until(() => killSwitch.state === 'ENGAGED');
    store.restoreReadable();
    const sameRevision = await store.read();
    expect(sameRevision?.state).toBe('SAFE');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(killSwitch.state).toBe('ENGAGED');
    await killSwitch.reset('checked the disk', 'ops');
    expect(killSwitch.state).toBe('SAFE');
    killSwitch.close();
  });

  it('keeps enforcing an engage whose write failed, and reports it', async () => {
    const inner = new MemoryKillSwitchStore();
    const { killSwitch } = await openSwitch(failingWrites(inner));
    await expect(killSwitch.engage('stop', 'alice')).rejects.toThrow('disk full');
    expect(killSwitch.state).toBe('ENGAGED');
    expect(killSwitch.failClosedReason?.code).toBe('ERR_STATE_WRITE_FAILED');
  });
});

/** A store whose writes fail after the first (first start succeeds). */
function failingWrites(inner: KillSwitchStore): KillSwitchStore {
  let writes = 0;
  return {
    name: 'failing',
    read: () => inner.read(),
    update: (decide) => {
      writes++;
      if (writes > 1)
        return Promise.reject(new LivegateError('ERR_STATE_WRITE_FAILED', 'disk full'));
      return inner.update(decide);
    },
    watch: (watcher) => inner.watch(watcher),
    history: (limit) => inner.history(limit),
    publishEngineReport: (report) => inner.publishEngineReport(report),
    removeEngineReport: (id) => inner.removeEngineReport(id),
    listEngineReports: () => inner.listEngineReports(),
    readEngineReport: (id) => inner.readEngineReport(id),
    close: () => inner.close(),
  };
}

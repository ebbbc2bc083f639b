// The file store passes the shared contract (with a second instance as the peer) and checks its options.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { change, runKillSwitchStoreContract } from './kill-switch-store.contract.js';

runKillSwitchStoreContract('FileKillSwitchStore', async () => {
  const stateDirectory = await mkdtemp(join(tmpdir(), 'livegate-contract-'));
  const store = new FileKillSwitchStore({ stateDirectory, pollIntervalMs: 50 });
  return {
    store,
    openPeer: () =>
      Promise.resolve(new FileKillSwitchStore({ stateDirectory, pollIntervalMs: 50 })),
    cleanup: async () => {
      await store.close();
      await rm(stateDirectory, { recursive: true, force: true });
    },
  };
});

describe('FileKillSwitchStore options', () => {
  it('rejects every bad option at once with ERR_CONFIG_INVALID', () => {
    const options = {
      stateDirectory: '',
      pollIntervalMs: 0.5,
      useFsWatch: 'yes',
      readTimeoutMs: 0,
      extra: 1,
    };
    expect(() => new FileKillSwitchStore(options as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        message: expect.stringMatching(
          /stateDirectory.*pollIntervalMs.*useFsWatch.*readTimeoutMs.*extra/s,
        ) as unknown,
      }),
    );
  });

  it('stamps the injected clock and host', async () => {
    const stateDirectory = await mkdtemp(join(tmpdir(), 'livegate-options-'));
    try {
      const clock = new ManualClock(1_000);
      const store = new FileKillSwitchStore({ stateDirectory, clock, host: 'desk-7' });
      const { record } = await store.update(() => change());
      expect(record).toMatchObject({
        at: '1970-01-01T00:00:01.000Z',
        host: 'desk-7',
        pid: process.pid,
      });
    } finally {
      await rm(stateDirectory, { recursive: true, force: true });
    }
  });
});

describe('FileKillSwitchStore scopes', () => {
  it('keeps each scope of one state dir apart, while engine reports are shared', async () => {
    const stateDirectory = await mkdtemp(join(tmpdir(), 'livegate-scopes-'));
    const global = new FileKillSwitchStore({ stateDirectory });
    const desk = new FileKillSwitchStore({ stateDirectory, scope: 'desk:fx' });
    const otherDesk = new FileKillSwitchStore({ stateDirectory, scope: 'desk:eq' });
    try {
      expect(desk.name).toBe('file/desk:fx');
      await global.update(() => change({ state: 'SAFE' }));
      await desk.update(() => change({ state: 'ENGAGED', reason: 'fx only' }));
      expect((await global.read())?.state).toBe('SAFE');
      expect(await desk.read()).toMatchObject({ revision: 1, state: 'ENGAGED', reason: 'fx only' });
      expect(await otherDesk.read()).toBeNull();
      const report = {
        engineId: 'e1',
        host: 'h',
        pid: 1,
        startedAt: new Date().toISOString(),
        reportedAt: Date.now(),
        observedRevision: 1,
        scopes: { global: 1, 'desk:fx': 1 },
        observedAt: Date.now(),
        enforcedState: 'ENGAGED' as const,
        failClosed: false,
        stats: {},
      };
      await desk.publishEngineReport(report);
      expect(await global.listEngineReports()).toEqual([report]);
    } finally {
      await Promise.all([global.close(), desk.close(), otherDesk.close()]);
      await rm(stateDirectory, { recursive: true, force: true });
    }
  });

  it('refuses a scope name that is not global, desk:<name> or engine:<id>', () => {
    expect(() => new FileKillSwitchStore({ stateDirectory: '/tmp/x', scope: 'desk:' })).toThrow(
      /scope.*desk:<name>/,
    );
  });
});

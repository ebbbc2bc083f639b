// One process per engine id: a running holder is refused, a silent unknown one is taken over.

import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import type { EngineReport } from '../../src/core/kill-switch-record.js';
import { ownProcessIdentity } from '../../src/core/process-identity.js';
import { claimEngineId } from '../../src/killswitch/engine-id-claim.js';

function report(overrides: Partial<EngineReport>): EngineReport {
  return {
    engineId: 'dup',
    host: 'another-host',
    pid: 4242,
    startedAt: new Date().toISOString(),
    reportedAt: Date.now(),
    observedRevision: 1,
    observedAt: Date.now(),
    enforcedState: 'SAFE',
    failClosed: false,
    stats: {},
    ...overrides,
  };
}

describe('claimEngineId', () => {
  it('is free when nobody reports under the id', async () => {
    const store = new MemoryKillSwitchStore();
    expect(await claimEngineId(store, 'dup', { observeMs: 50 })).toEqual({ kind: 'free' });
  });

  it.skipIf(ownProcessIdentity() === undefined)(
    'refuses an id held by a process that runs on this host (this one)',
    async () => {
      const store = new MemoryKillSwitchStore();
      await store.publishEngineReport(
        report({ host: os.hostname(), pid: process.pid, process: ownProcessIdentity()! }),
      );
      const error = await claimEngineId(store, 'dup', { observeMs: 50 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_ENGINE_ID_IN_USE' });
      expect((error as Error).message).toContain(`pid ${process.pid} on ${os.hostname()}`);
    },
  );

  it('refuses an id whose holder on another host still reports', async () => {
    const store = new MemoryKillSwitchStore();
    await store.publishEngineReport(report({}));
    const beating = setInterval(
      () => void store.publishEngineReport(report({ reportedAt: Date.now() + Math.random() })),
      20,
    );
    try {
      const error = await claimEngineId(store, 'dup', { observeMs: 300 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_ENGINE_ID_IN_USE' });
      expect((error as Error).message).toContain('its report changed');
    } finally {
      clearInterval(beating);
    }
  });

  it('takes over an id whose holder on another host stayed silent for the whole watch', async () => {
    const store = new MemoryKillSwitchStore();
    await store.publishEngineReport(report({}));
    const claim = await claimEngineId(store, 'dup', { observeMs: 100 });
    expect(claim.kind).toBe('replaced-silent');
  });
});

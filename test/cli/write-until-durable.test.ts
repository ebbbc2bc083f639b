// `kill`/`reduce`/`reset` retry while the store cannot answer, and never write one change twice.

import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import { LivegateError } from '../../src/core/errors.js';
import type { KillSwitchStore } from '../../src/core/ports.js';
import { writeUntilDurable } from '../../src/cli/write-until-durable.js';
import { initDecision, resetDecision } from '../../src/killswitch/transitions.js';

const unreachable = () => new LivegateError('ERR_STORE_UNREACHABLE', 'electing a leader');

/** The store under test with its first `failures` updates failing; `applied` ones land first. */
function flaky(store: MemoryKillSwitchStore, failures: number, applied: boolean): KillSwitchStore {
  let left = failures;
  return Object.assign(Object.create(store) as KillSwitchStore, {
    update: async (...args: Parameters<KillSwitchStore['update']>) => {
      if (left-- > 0) {
        if (applied) await store.update(...args);
        throw unreachable();
      }
      return store.update(...args);
    },
  });
}

async function initialised(): Promise<MemoryKillSwitchStore> {
  const store = new MemoryKillSwitchStore();
  await store.update(initDecision('setup', 'ops', true));
  return store;
}

describe('writeUntilDurable', () => {
  it('retries a write the store could not take until it is durable, saying what it waits for', async () => {
    const store = await initialised();
    const waits: number[] = [];
    const result = await writeUntilDurable(flaky(store, 3, false), resetDecision('r', 'ops'), {
      deadline: performance.now() + 5_000,
      retryEveryMs: 5,
      by: 'ops',
      reason: 'r',
      onRetry: (_error, remainingMs) => waits.push(remainingMs),
    });
    expect(waits).toHaveLength(3);
    expect(result.record).toMatchObject({ revision: 2, state: 'SAFE' });
    expect((await store.history()).map((record) => record.state)).toEqual(['ENGAGED', 'SAFE']);
  });

  it('does not write a change twice when an attempt landed but its answer was lost', async () => {
    const store = await initialised();
    const result = await writeUntilDurable(flaky(store, 1, true), resetDecision('r', 'ops'), {
      deadline: performance.now() + 5_000,
      retryEveryMs: 5,
      by: 'ops',
      reason: 'r',
    });
    expect(result).toMatchObject({ changed: true, record: { revision: 2, state: 'SAFE' } });
    expect((await store.history()).map((record) => record.revision)).toEqual([1, 2]);
  });

  it('gives up at the deadline with the last failure, and never retries a refusal', async () => {
    const store = await initialised();
    await expect(
      writeUntilDurable(flaky(store, 1_000, false), resetDecision('r', 'ops'), {
        deadline: performance.now() + 50,
        retryEveryMs: 5,
        by: 'ops',
        reason: 'r',
      }),
    ).rejects.toMatchObject({ code: 'ERR_STORE_UNREACHABLE' });
    const refusing = Object.assign(Object.create(store) as KillSwitchStore, {
      update: () => Promise.reject(new LivegateError('ERR_STATE_WRITE_FAILED', 'ENOSPC')),
    });
    const started = performance.now();
    await expect(
      writeUntilDurable(refusing, resetDecision('r', 'ops'), {
        deadline: performance.now() + 5_000,
        by: 'ops',
        reason: 'r',
      }),
    ).rejects.toMatchObject({ code: 'ERR_STATE_WRITE_FAILED' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

// Revisions as per-key overrides: each engine lays them over its own config, and a first override
// of a key is loosening unless it tightens the writer's own config.
import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import { changeLimits } from '../../../src/risk/limits/limits-writer.js';
import { limitsInForce } from '../../../src/risk/limits/limits-overrides.js';
import { limitsOfConfig, parseAssignment } from '../../../src/risk/limits/live-limits.js';

const configA = limitsOfConfig({ defaults: { maxQuantity: 1000 } });
const configB = limitsOfConfig({ defaults: { maxQuantity: 10, maxPosition: 10 } });

function set(configLimits: typeof configA, mayLoosen: boolean, ...texts: string[]) {
  return {
    assignments: texts.map(parseAssignment),
    reason: 'test',
    by: 'olga',
    mayLoosen,
    configLimits,
    host: 'h',
    pid: 1,
  };
}

describe('limits overrides', () => {
  it('keeps what another engine set in its own config and nobody overrode', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    const { record } = await changeLimits(
      limits,
      set(configA, false, 'preTrade.defaults.maxQuantity=100'),
    );
    expect(record?.overrides).toBe(true);
    expect(record?.limits).toEqual({ preTrade: { defaults: { maxQuantity: 100 } } });
    expect(limitsInForce(record, configB).preTrade).toEqual({
      defaults: { maxQuantity: 100, maxPosition: 10 },
    });
    expect(limitsInForce(record, configA).preTrade).toEqual({ defaults: { maxQuantity: 100 } });
  });

  it('refuses a first override no tighter than the writer config without authority', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    // Equal to this writer's value: another engine's config may be tighter.
    await expect(
      changeLimits(limits, set(configB, false, 'preTrade.defaults.maxQuantity=10')),
    ).rejects.toThrow(/not overridden; 10 in this config\) -> 10/);
    await expect(
      changeLimits(limits, set(configB, false, 'preTrade.defaults.maxQuantity=50')),
    ).rejects.toMatchObject({ code: 'ERR_LIMITS_LOOSENING_REFUSED' });
    const { record } = await changeLimits(
      limits,
      set(configB, true, 'preTrade.defaults.maxQuantity=50'),
    );
    expect(record?.diff).toEqual([{ key: 'preTrade.defaults.maxQuantity', to: 50, loosens: true }]);
  });

  it('judges a later override against the earlier one, and a removal as loosening', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    await changeLimits(limits, set(configA, false, 'preTrade.defaults.maxQuantity=100'));
    // From engine B's config too: the override, not B's config, is what it is judged against.
    const tighter = await changeLimits(
      limits,
      set(configB, false, 'preTrade.defaults.maxQuantity=80'),
    );
    expect(tighter.record?.diff).toEqual([
      { key: 'preTrade.defaults.maxQuantity', from: 100, to: 80, loosens: false },
    ]);
    await expect(
      changeLimits(limits, set(configA, false, 'preTrade.defaults.maxQuantity=90')),
    ).rejects.toMatchObject({ code: 'ERR_LIMITS_LOOSENING_REFUSED' });
    await expect(
      changeLimits(limits, set(configA, false, 'preTrade.defaults.maxQuantity=')),
    ).rejects.toThrow(/override removed/);
    const removed = await changeLimits(
      limits,
      set(configA, true, 'preTrade.defaults.maxQuantity='),
    );
    expect(removed.record?.limits).toEqual({ preTrade: {} });
    expect(limitsInForce(removed.record, configB).preTrade).toEqual(configB.preTrade);
  });

  it('turns a monitor rule off with an empty whole-rule override, and merges a field over each config', async () => {
    const rulesA = limitsOfConfig({}, { dailyLoss: { action: 'engage', limit: 1000 } });
    const rulesB = limitsOfConfig({}, { dailyLoss: { action: 'reduce', limit: 300 } });
    const limits = new MemoryKillSwitchStore().limits;
    const { record } = await changeLimits(
      limits,
      set(rulesA, false, 'monitor.rules.dailyLoss.limit=500'),
    );
    expect(limitsInForce(record, rulesB).monitor?.rules).toEqual({
      dailyLoss: { action: 'reduce', limit: 500 },
    });
    const off = await changeLimits(limits, set(rulesA, true, 'monitor.rules.dailyLoss='));
    expect(off.record?.diff).toEqual([
      { key: 'monitor.rules.dailyLoss', to: null, loosens: true },
      { key: 'monitor.rules.dailyLoss.limit', from: 500, loosens: true },
    ]);
    expect(limitsInForce(off.record, rulesB).monitor?.rules).toEqual({});
  });

  it('reads a whole set from an older writer as it was meant: it replaces the config', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    await limits.append({
      revision: 1,
      limits: { preTrade: { defaults: { maxQuantity: 7 } } },
      reason: 'old',
      by: 'alice',
      at: new Date(0).toISOString(),
      host: 'h',
      pid: 1,
      diff: [],
      loosens: false,
    });
    const old = await limits.latest();
    expect(limitsInForce(old, configB).preTrade).toEqual({ defaults: { maxQuantity: 7 } });
    // The next revision carries its values over as overrides.
    const { record } = await changeLimits(
      limits,
      set(configB, false, 'preTrade.defaults.maxPosition=5'),
    );
    expect(record?.limits.preTrade).toEqual({ defaults: { maxQuantity: 7, maxPosition: 5 } });
  });
});

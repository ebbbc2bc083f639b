// Review 11d: a desk or firm orderRate override is stored with its limit, so it is valid over any
// engine's or guard's config (one without an orderRate for that desk included).
import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import { aggregateLimitsOf } from '../../../src/risk/limits/desk-limits.js';
import { changeLimits } from '../../../src/risk/limits/limits-writer.js';
import { limitsInForce } from '../../../src/risk/limits/limits-overrides.js';
import { limitsOfConfig, parseAssignment } from '../../../src/risk/limits/live-limits.js';
import type { LiveLimits } from '../../../src/core/limits-record.js';

const withRate = limitsOfConfig({}, undefined, {
  desks: { fx: { maxPosition: 100, orderRate: { limit: 50 } } },
  firm: { grossExposure: 1000, orderRate: { limit: 80, windowMs: 3000 } },
});
const withoutRate = limitsOfConfig({}, undefined, {
  desks: { fx: { maxPosition: 100 } },
  firm: { grossExposure: 1000 },
});

function set(configLimits: LiveLimits, ...texts: string[]) {
  return {
    assignments: texts.map(parseAssignment),
    reason: 'test',
    by: 'olga',
    mayLoosen: true,
    configLimits,
    host: 'h',
    pid: 1,
  };
}

describe('orderRate overrides, stored whole', () => {
  it('fills the limit the writer enforces into a window written alone', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    const { record } = await changeLimits(
      limits,
      set(withRate, 'desks.fx.orderRate.windowMs=2000', 'firm.orderRate.windowMs=4000'),
    );
    expect(record?.limits.desks).toEqual({ fx: { orderRate: { limit: 50, windowMs: 2000 } } });
    expect(record?.limits.firm).toEqual({ orderRate: { limit: 80, windowMs: 4000 } });
    // Valid over a config that has no orderRate at all.
    const inForce = aggregateLimitsOf(limitsInForce(record, withoutRate));
    expect(inForce.desks.fx?.orderRate).toEqual({ limit: 50, windowMs: 2000 });
    // A later window keeps the stored limit, whatever this writer's config says.
    const later = await changeLimits(limits, set(withoutRate, 'desks.fx.orderRate.windowMs=3000'));
    expect(later.record?.limits.desks).toEqual({
      fx: { orderRate: { limit: 50, windowMs: 3000 } },
    });
  });

  it('refuses a window with no limit known, naming the whole form, writing nothing', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    for (const text of [
      'desks.fx.orderRate.windowMs=2000',
      'desks.fx.orderRate={"windowMs":2000}',
    ]) {
      await expect(changeLimits(limits, set(withoutRate, text))).rejects.toMatchObject({
        code: 'ERR_USAGE',
        message: expect.stringContaining(
          'set desks.fx.orderRate as a whole: {"limit":N,"windowMs":M}',
        ) as unknown,
      });
    }
    await expect(
      changeLimits(limits, set(withoutRate, 'firm.orderRate.windowMs=2000')),
    ).rejects.toMatchObject({ code: 'ERR_USAGE' });
    expect(await limits.latest()).toBeNull();
  });

  it('removes the whole orderRate override when its limit is removed', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    await changeLimits(limits, set(withoutRate, 'desks.fx.orderRate={"limit":20,"windowMs":2000}'));
    const { record } = await changeLimits(limits, set(withoutRate, 'desks.fx.orderRate.limit='));
    expect(record?.limits.desks).toBeUndefined();
    expect(aggregateLimitsOf(limitsInForce(record, withoutRate)).desks.fx).toEqual({
      maxPosition: 100,
    });
  });
});

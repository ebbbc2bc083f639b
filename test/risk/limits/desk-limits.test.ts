// Desk and firm limits as live limits: the keys, overrides over each engine's config, the schema's
// checks, and tightening vs loosening judged per field.
import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import {
  parseLimitsRecord,
  serialiseLimitsRecord,
} from '../../../src/adapters/stores/limits-record-codec.js';
import { changeLimits } from '../../../src/risk/limits/limits-writer.js';
import { limitsInForce } from '../../../src/risk/limits/limits-overrides.js';
import { aggregateLimitsOf } from '../../../src/risk/limits/desk-limits.js';
import { limitsOfConfig, parseAssignment } from '../../../src/risk/limits/live-limits.js';

const config = limitsOfConfig({ defaults: { maxQuantity: 1000 } }, undefined, {
  desks: { fx: { dailyLoss: 2000, maxPosition: 100 } },
  firm: null,
});

function set(mayLoosen: boolean, ...texts: string[]) {
  return {
    assignments: texts.map(parseAssignment),
    reason: 'test',
    by: 'olga',
    mayLoosen,
    configLimits: config,
    host: 'h',
    pid: 1,
  };
}

describe('desk and firm limits, live', () => {
  it('parses desk, desk symbol and firm keys, with or without risk.', () => {
    expect(parseAssignment('desks.fx.dailyLoss=1500')).toMatchObject({
      key: 'desks.fx.dailyLoss',
      section: 'desks',
      path: ['fx', 'dailyLoss'],
      value: 1500,
    });
    expect(parseAssignment('risk.desks.fx.symbols.BRK.B.maxPosition=5')).toMatchObject({
      section: 'desks',
      path: ['fx', 'symbols', 'BRK.B', 'maxPosition'],
    });
    expect(parseAssignment('desks.fx.eu.orderRate.limit=50')).toMatchObject({
      path: ['fx.eu', 'orderRate', 'limit'],
    });
    expect(parseAssignment('firm.grossExposure=1000000')).toMatchObject({
      section: 'firm',
      path: ['grossExposure'],
    });
  });

  it('refuses unknown fields and object internals, naming the key, writing nothing', async () => {
    expect(() => parseAssignment('desks.fx.dailyLos=1')).toThrow(/desks\.fx\.dailyLos/);
    expect(() => parseAssignment('desks.__proto__.dailyLoss=1')).toThrow(/__proto__/);
    expect(() => parseAssignment('firm.constructor=1')).toThrow(/constructor/);
    expect(() => parseAssignment('desks.fx.symbols.prototype.maxPosition=1')).toThrow(/prototype/);
    const limits = new MemoryKillSwitchStore().limits;
    await expect(changeLimits(limits, set(true, 'desks.fx.orderRate.limitt=3'))).rejects.toThrow(
      /desks\.fx\.orderRate.*limitt/,
    );
    await expect(changeLimits(limits, set(true, 'desks.fx.dailyLoss=-5'))).rejects.toMatchObject({
      code: 'ERR_USAGE',
      message: expect.stringMatching(/desks\.fx\.dailyLoss/) as unknown,
    });
    await expect(changeLimits(limits, set(true, 'firm.maxPosition="x"'))).rejects.toMatchObject({
      code: 'ERR_USAGE',
    });
    expect(await limits.latest()).toBeNull();
  });

  it('tightens a lower desk limit, needs --loosen to raise or remove it', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    const tighter = await changeLimits(limits, set(false, 'desks.fx.dailyLoss=1500'));
    expect(tighter.record?.diff).toEqual([{ key: 'desks.fx.dailyLoss', to: 1500, loosens: false }]);
    expect(tighter.record?.limits).toEqual({ preTrade: {}, desks: { fx: { dailyLoss: 1500 } } });
    const inForce = aggregateLimitsOf(limitsInForce(tighter.record, config));
    expect(inForce.desks.fx).toEqual({ dailyLoss: 1500, maxPosition: 100 });
    await expect(changeLimits(limits, set(false, 'desks.fx.dailyLoss=1800'))).rejects.toMatchObject(
      { code: 'ERR_LIMITS_LOOSENING_REFUSED' },
    );
    await expect(changeLimits(limits, set(false, 'desks.fx.dailyLoss='))).rejects.toMatchObject({
      code: 'ERR_LIMITS_LOOSENING_REFUSED',
    });
    // A first override equal to the writer's config: another engine's may be tighter.
    await expect(
      changeLimits(limits, set(false, 'desks.fx.maxPosition=100')),
    ).rejects.toMatchObject({ code: 'ERR_LIMITS_LOOSENING_REFUSED' });
    const raised = await changeLimits(limits, set(true, 'desks.fx.dailyLoss=1800'));
    expect(raised.record?.loosens).toBe(true);
  });

  it("needs --loosen to add a limit the writer's config lacks: engines may hold a tighter one", async () => {
    const limits = new MemoryKillSwitchStore().limits;
    const added = [
      'desks.fx.grossExposure=500000',
      'desks.eq.dailyLoss=700',
      'firm.grossExposure=2000000',
      'desks.fx.symbols.USDJPY.maxPosition=50',
    ];
    for (const text of added) {
      const key = text.split('=')[0]!;
      await expect(changeLimits(limits, set(false, text))).rejects.toMatchObject({
        code: 'ERR_LIMITS_LOOSENING_REFUSED',
        message: expect.stringContaining(
          `the writer's config has no ${key}: engines may hold a tighter one`,
        ) as unknown,
      });
    }
    expect(await limits.latest()).toBeNull();
    const { record } = await changeLimits(limits, set(true, ...added));
    expect(record?.loosens).toBe(true);
    const inForce = aggregateLimitsOf(limitsInForce(record, config));
    expect(inForce.desks.eq).toEqual({ dailyLoss: 700 });
    expect(inForce.firm).toEqual({ grossExposure: 2000000 });
    expect(inForce.desks.fx?.symbols).toEqual({ USDJPY: { maxPosition: 50 } });
  });

  it('judges a symbol limit against the desk-wide one it replaces', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    await expect(
      changeLimits(limits, set(false, 'desks.fx.symbols.USDJPY.maxPosition=200')),
    ).rejects.toMatchObject({ code: 'ERR_LIMITS_LOOSENING_REFUSED' });
  });

  it('removes a limit with Infinity (loosening), and a desk left with none', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    await expect(
      changeLimits(limits, set(false, 'desks.fx.dailyLoss=Infinity')),
    ).rejects.toMatchObject({ code: 'ERR_LIMITS_LOOSENING_REFUSED' });
    const { record } = await changeLimits(
      limits,
      set(true, 'desks.fx.dailyLoss=Infinity', 'desks.fx.maxPosition=Infinity'),
    );
    expect(aggregateLimitsOf(limitsInForce(record, config)).desks).toEqual({});
  });

  it('reads records without desk keys, and round-trips those with them', () => {
    const base = {
      revision: 1,
      reason: 'r',
      by: 'b',
      at: new Date(0).toISOString(),
      host: 'h',
      pid: 1,
      diff: [],
      loosens: false,
    };
    const old = parseLimitsRecord(
      JSON.stringify({ ...base, limits: { preTrade: {} }, overrides: true }),
      'old',
    );
    expect(aggregateLimitsOf(limitsInForce(old, config)).desks.fx?.dailyLoss).toBe(2000);
    const withDesks = {
      ...base,
      overrides: true as const,
      limits: { preTrade: {}, desks: { fx: { dailyLoss: 'Infinity' } }, firm: { drawdown: 5 } },
    };
    const read = parseLimitsRecord(JSON.stringify(withDesks), 'new');
    expect(read.limits.desks).toEqual({ fx: { dailyLoss: Infinity } });
    expect(parseLimitsRecord(serialiseLimitsRecord(read), 'again')).toEqual(read);
  });

  it('keeps the config desks under a whole set from an older writer', () => {
    const whole = parseLimitsRecord(
      JSON.stringify({
        revision: 1,
        limits: { preTrade: { defaults: { maxQuantity: 3 } } },
        reason: 'r',
        by: 'b',
        at: new Date(0).toISOString(),
        host: 'h',
        pid: 1,
        diff: [],
        loosens: false,
      }),
      'whole',
    );
    expect(aggregateLimitsOf(limitsInForce(whole, config)).desks.fx?.maxPosition).toBe(100);
  });
});

// Every monitor rule override a writer stores is valid over any engine config, one with no rules
// included: a field written alone is completed from the writer or refused, for every rule kind.
import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import type { LiveLimits } from '../../../src/core/limits-record.js';
import { limitsInForce } from '../../../src/risk/limits/limits-overrides.js';
import { changeLimits } from '../../../src/risk/limits/limits-writer.js';
import { monitorRulesOf, parseAssignment } from '../../../src/risk/limits/live-limits.js';
import { requiredRuleFields } from '../../../src/risk/limits/whole-monitor-rules.js';
import { riskRulesSchema } from '../../../src/risk/monitor/risk-monitor-options.js';

/** One valid value of every rule, every field set. */
const EVERY_RULE: Record<string, Record<string, unknown>> = {
  dailyLoss: { action: 'reduce', limit: 1000 },
  maxDrawdown: { action: 'reduce', limit: 800 },
  grossExposure: { action: 'reduce', limit: 1e6 },
  positionLimit: { action: 'reduce', limit: 50 },
  orderRate: { action: 'reduce', limit: 100, windowMs: 1000 },
  rejectRate: { action: 'reduce', limit: 0.5, windowMs: 10_000, minOrders: 20 },
  strategyErrors: { action: 'reduce', limit: 3 },
  staleFeed: { action: 'reduce', limitMs: 5000, perSymbol: true },
  eventLoopStall: { action: 'reduce', limitMs: 200 },
  latencyP99: { action: 'reduce', limitMicros: 500, windowMs: 10_000, minOrders: 100 },
  venueDisconnected: { action: 'reduce', limitMs: 3000 },
  feedGaps: { action: 'reduce', limit: 5, windowMs: 60_000 },
  reconciliation: { action: 'reduce', limit: 2, windowMs: 60_000 },
};
const withEveryRule: LiveLimits = { preTrade: {}, monitor: { rules: EVERY_RULE } };
const withoutRules: LiveLimits = { preTrade: {}, monitor: { rules: {} } };
const withoutMonitor: LiveLimits = { preTrade: {} };

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

describe('monitor rule overrides, stored whole', () => {
  it('covers every rule of the schema, and requires what has no default', () => {
    expect(Object.keys(EVERY_RULE).sort()).toEqual(Object.keys(riskRulesSchema.shape).sort());
    expect(requiredRuleFields('orderRate')).toEqual(['limit', 'windowMs']);
    expect(requiredRuleFields('staleFeed')).toEqual(['limitMs']);
    expect(requiredRuleFields('latencyP99')).toEqual(['limitMicros', 'windowMs']);
    expect(requiredRuleFields('rejectRate')).toEqual(['limit', 'windowMs', 'minOrders']);
  });

  for (const [rule, whole] of Object.entries(EVERY_RULE)) {
    for (const field of Object.keys(whole)) {
      const text = `monitor.rules.${rule}.${field}=${JSON.stringify(whole[field])}`;
      for (const [name, writerConfig] of [
        ['a writer with the rule', withEveryRule],
        ['a writer without it', withoutRules],
      ] as const) {
        it(`${text} from ${name}: refused, or valid over engines with no rules`, async () => {
          const limits = new MemoryKillSwitchStore().limits;
          let record;
          try {
            ({ record } = await changeLimits(limits, set(writerConfig, text)));
          } catch (error) {
            expect(error).toMatchObject({ code: 'ERR_USAGE' });
            expect(String(error)).toContain(`set monitor.rules.${rule} as a whole: {`);
            // Refused only when the field alone is not a whole rule and the writer knows none.
            expect(writerConfig).toBe(withoutRules);
            expect(await limits.latest()).toBeNull();
            return;
          }
          for (const engine of [withoutRules, withoutMonitor, withEveryRule]) {
            expect(() => monitorRulesOf(limitsInForce(record, engine))).not.toThrow();
          }
          const stored = (record?.limits.monitor?.rules[rule] ?? {}) as Record<string, unknown>;
          for (const required of requiredRuleFields(rule)) {
            expect(stored[required]).toEqual(whole[required]);
          }
        });
      }
    }
  }

  it('fills from the latest override before the config, and not the defaulted fields', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    await changeLimits(
      limits,
      set(withEveryRule, 'monitor.rules.latencyP99={"limitMicros":300,"windowMs":5000}'),
    );
    const { record } = await changeLimits(
      limits,
      set(withoutRules, 'monitor.rules.latencyP99.windowMs=8000'),
    );
    expect(record?.limits.monitor?.rules.latencyP99).toEqual({ limitMicros: 300, windowMs: 8000 });
    const staleFeed = await changeLimits(
      limits,
      set(withEveryRule, 'monitor.rules.staleFeed.action=engage'),
    );
    expect(staleFeed.record?.limits.monitor?.rules.staleFeed).toEqual({
      action: 'engage',
      limitMs: 5000,
    });
  });

  it('completes a whole rule written without a required field', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    const { record } = await changeLimits(
      limits,
      set(withEveryRule, 'monitor.rules.orderRate={"windowMs":2000}'),
    );
    expect(record?.limits.monitor?.rules.orderRate).toEqual({ limit: 100, windowMs: 2000 });
  });

  it('removes the whole rule override when a required field is removed', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    await changeLimits(
      limits,
      set(withoutRules, 'monitor.rules.orderRate={"limit":20,"windowMs":2000}'),
    );
    const { record } = await changeLimits(
      limits,
      set(withoutRules, 'monitor.rules.orderRate.windowMs='),
    );
    expect(record?.limits.monitor?.rules).toEqual({});
    expect(monitorRulesOf(limitsInForce(record, withEveryRule))?.orderRate).toEqual({
      ...EVERY_RULE.orderRate,
    });
  });

  it('judges a filled field as a first override: equal to the config, it needs --loosen', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    await expect(
      changeLimits(limits, {
        ...set(withEveryRule, 'monitor.rules.orderRate.limit=50'),
        mayLoosen: false,
      }),
    ).rejects.toMatchObject({
      code: 'ERR_LIMITS_LOOSENING_REFUSED',
      details: { keys: ['monitor.rules.orderRate.windowMs'] },
    });
    // Set whole, each required field tighter: a tightening.
    const whole = await changeLimits(limits, {
      ...set(withEveryRule, 'monitor.rules.orderRate={"limit":50,"windowMs":2000}'),
      mayLoosen: false,
    });
    expect(whole.record?.loosens).toBe(false);
    // Once pinned, one field alone is judged alone.
    const pinned = await changeLimits(limits, {
      ...set(withEveryRule, 'monitor.rules.orderRate.limit=40'),
      mayLoosen: false,
    });
    expect(pinned.record?.limits.monitor?.rules.orderRate).toEqual({ limit: 40, windowMs: 2000 });
    // A single-field rule needs nothing filled: its tightening passes as before.
    const { record } = await changeLimits(limits, {
      ...set(withEveryRule, 'monitor.rules.dailyLoss.limit=500'),
      mayLoosen: false,
    });
    expect(record?.limits.monitor?.rules.dailyLoss).toEqual({ limit: 500 });
    expect(record?.loosens).toBe(false);
  });
});

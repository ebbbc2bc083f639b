// Live monitor limits: `monitor.rules.*` assignments validated by the config's rule schema, what
// loosens a rule (a higher limit, a weaker action, a disabled rule), records without monitor
// limits, and a monitor that trips at once on a tightened limit its portfolio already breaches.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { isLivegateError } from '../../../src/core/errors.js';
import type { LivegateEvent } from '../../../src/core/events.js';
import type { LiveLimits } from '../../../src/core/limits-record.js';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import {
  applyAssignments,
  diffLimits,
  limitsOfConfig,
  monitorRulesOf,
  parseAssignment,
} from '../../../src/risk/limits/live-limits.js';
import { limitsInForce } from '../../../src/risk/limits/limits-overrides.js';
import { LimitsFollower } from '../../../src/risk/limits/limits-follower.js';
import { changeLimits } from '../../../src/risk/limits/limits-writer.js';
import { parseRiskMonitorOptions } from '../../../src/risk/monitor/risk-monitor-options.js';
import { createHarness } from '../monitor/monitor-fixtures.js';

const RULES = {
  dailyLoss: { action: 'engage', limit: 1000 },
  orderRate: { action: 'alert', limit: 50, windowMs: 1000 },
  staleFeed: { action: 'engage', limitMs: 10_000, perSymbol: true },
};

function change(rules: Record<string, unknown>, ...texts: string[]) {
  const before: LiveLimits = { preTrade: {}, monitor: { rules } };
  const after = applyAssignments(before, texts.map(parseAssignment));
  return diffLimits(before, after);
}

function loosens(...texts: string[]): boolean[] {
  return change(RULES, ...texts).map((entry) => entry.loosens);
}

describe('monitor limits assignments', () => {
  it('accepts monitor.rules keys (with or without risk.) and refuses the rest of monitor', () => {
    expect(parseAssignment('risk.monitor.rules.dailyLoss.limit=500')).toMatchObject({
      key: 'monitor.rules.dailyLoss.limit',
      value: 500,
    });
    expect(parseAssignment('monitor.rules.grossExposure={"limit":5000}').value).toEqual({
      limit: 5000,
    });
    const usage = (text: string) => {
      try {
        applyAssignments(limitsOfConfig({}, RULES), [parseAssignment(text)]);
        return 'accepted';
      } catch (error) {
        return isLivegateError(error, 'ERR_USAGE') ? error.message : String(error);
      }
    };
    expect(usage('monitor.enabled=false')).toMatch(/cannot change while running/);
    expect(usage('monitor.evaluationIntervalMs=10')).toMatch(/cannot change while running/);
    expect(usage('monitor.rules.dailyLoss.limit=-5')).toMatch(
      /monitor\.rules\.dailyLoss\.limit: .*>0/,
    );
    expect(usage('monitor.rules.dailyLos.limit=5')).toMatch(/monitor\.rules: .*dailyLos/);
    expect(usage('monitor.rules.dailyLoss.action=flatten')).toMatch(
      /monitor\.rules\.dailyLoss\.action/,
    );
    // A rule without its limit is not a rule: unset the rule itself to disable it.
    expect(usage('monitor.rules.dailyLoss.limit=')).toMatch(/monitor\.rules\.dailyLoss\.limit/);
    expect(usage('monitor.rules.maxDrawdown.limit=300')).toBe('accepted');
    expect(usage('monitor.rules.dailyLoss=')).toBe('accepted');
  });
});

describe('what loosens a monitor rule', () => {
  it('a lower loss limit tightens; a higher one loosens', () => {
    expect(change(RULES, 'monitor.rules.dailyLoss.limit=500')).toEqual([
      { key: 'monitor.rules.dailyLoss.limit', from: 1000, to: 500, loosens: false },
    ]);
    expect(loosens('monitor.rules.dailyLoss.limit=2000')).toEqual([true]);
  });

  it('disabling a rule loosens; enabling one tightens', () => {
    const disabled = change(RULES, 'monitor.rules.dailyLoss=');
    expect(disabled.map((entry) => entry.key)).toEqual([
      'monitor.rules.dailyLoss.action',
      'monitor.rules.dailyLoss.limit',
    ]);
    expect(disabled.every((entry) => entry.loosens)).toBe(true);
    // A new rule is recorded with its default action (engage): both added, neither loosens.
    expect(loosens('monitor.rules.maxDrawdown.limit=300')).toEqual([false, false]);
    expect(loosens('monitor.rules.grossExposure={"limit":5000,"action":"alert"}')).toEqual([
      false,
      false,
    ]);
  });

  it('a weaker action loosens (engage > reduce > alert); a stronger one tightens', () => {
    expect(loosens('monitor.rules.dailyLoss.action=reduce')).toEqual([true]);
    expect(loosens('monitor.rules.orderRate.action=reduce')).toEqual([false]);
  });

  it('a shorter count window or a per-symbol stale feed turned off loosens', () => {
    expect(loosens('monitor.rules.orderRate.windowMs=500')).toEqual([true]);
    expect(loosens('monitor.rules.orderRate.windowMs=2000')).toEqual([false]);
    expect(loosens('monitor.rules.staleFeed.limitMs=20000')).toEqual([true]);
    expect(loosens('monitor.rules.staleFeed.perSymbol=false')).toEqual([true]);
  });

  it('a writer fills a stored record without monitor limits from its config, and refuses loosening it', async () => {
    const store = new MemoryKillSwitchStore();
    const limits = store.limits;
    // As an older livegate wrote it: pre-trade limits only.
    await limits.append({
      revision: 1,
      limits: { preTrade: { maxOpenOrders: 5 } },
      reason: 'old',
      by: 'alice',
      at: new Date(0).toISOString(),
      host: 'h',
      pid: 1,
      diff: [],
      loosens: false,
    });
    expect(monitorRulesOf((await limits.latest())!.limits)).toBeUndefined();
    const base = {
      reason: 'risk officer',
      by: 'carol',
      configLimits: limitsOfConfig({}, RULES),
      host: 'h',
      pid: 1,
    };
    await expect(
      changeLimits(limits, {
        ...base,
        assignments: [parseAssignment('monitor.rules.dailyLoss.limit=1500')],
        mayLoosen: false,
      }),
    ).rejects.toThrow(
      /monitor\.rules\.dailyLoss\.limit \(not overridden; 1000 in this config\) -> 1500/,
    );
    const result = await changeLimits(limits, {
      ...base,
      assignments: [parseAssignment('monitor.rules.dailyLoss.limit=400')],
      mayLoosen: false,
    });
    expect(result.record?.revision).toBe(2);
    // An override now: the first one of its key, tighter than this writer's config.
    expect(result.record?.diff).toEqual([
      { key: 'monitor.rules.dailyLoss.limit', to: 400, loosens: false },
    ]);
    // The older whole set's values are carried over as overrides.
    expect(result.record?.limits.preTrade).toEqual({ maxOpenOrders: 5 });
    expect(result.record?.overrides).toBe(true);
    const inForce = limitsInForce(result.record, base.configLimits);
    expect(monitorRulesOf(inForce)?.dailyLoss).toEqual({ action: 'engage', limit: 400 });
    expect(monitorRulesOf(inForce)?.orderRate).toEqual(RULES.orderRate);
  });
});

describe('a monitor taking new rule limits', () => {
  it('trips a tightened daily loss its portfolio already exceeds at the next evaluation, keeping other rules', async () => {
    const harness = await createHarness({
      rules: { dailyLoss: { limit: 1000 }, strategyErrors: { limit: 3 } },
    });
    harness.fill('EURUSD', 'buy', 1000, 1.5);
    harness.fill('EURUSD', 'sell', 1000, 1.0);
    harness.monitor.evaluate();
    expect(harness.breaches()).toEqual([]);
    const strategyErrors = harness.monitor
      .snapshot()
      .rules.find((r) => r.rule === 'strategyErrors');

    const rules = parseRiskMonitorOptions({
      rules: { dailyLoss: { limit: 400 }, strategyErrors: { limit: 3 } },
    }).rules;
    harness.monitor.applyRules(rules);
    harness.monitor.evaluate();
    expect(harness.breaches()).toMatchObject([{ rule: 'dailyLoss', value: 500, threshold: 400 }]);
    await harness.monitor.settled();
    expect(harness.killSwitch.state).toBe('ENGAGED');
    expect(harness.monitor.options.rules.dailyLoss?.limit).toBe(400);
    expect(harness.monitor.snapshot().rules.find((r) => r.rule === 'strategyErrors')).toEqual(
      strategyErrors,
    );
  });
});

describe('a monitor keeping rule state across new limits', () => {
  it("keeps an unchanged rule's window and starts a changed one afresh", async () => {
    const orderRate = { action: 'alert' as const, limit: 100, windowMs: 60_000 };
    const harness = await createHarness({ rules: { dailyLoss: { limit: 1000 }, orderRate } });
    for (let i = 0; i < 3; i++) harness.submitted();
    const rate = () => harness.monitor.snapshot().rules.find((r) => r.rule === 'orderRate');
    harness.monitor.evaluate();
    expect(rate()?.value).toBe(3);

    const parse = (rules: object) => parseRiskMonitorOptions({ rules }).rules;
    harness.monitor.applyRules(parse({ dailyLoss: { limit: 400 }, orderRate }));
    harness.monitor.evaluate();
    expect(rate()).toMatchObject({ value: 3, threshold: 100 });

    harness.monitor.applyRules(
      parse({ dailyLoss: { limit: 400 }, orderRate: { ...orderRate, limit: 50 } }),
    );
    harness.monitor.evaluate();
    expect(rate()).toMatchObject({ value: 0, threshold: 50 });
  });
});

describe('a follower with monitor rules', () => {
  it("hands the monitor its rules, and undefined (the config's) for a record without", async () => {
    const store = new MemoryKillSwitchStore().limits;
    const record = (revision: number, limits: LiveLimits) => ({
      revision,
      limits,
      reason: `r${revision}`,
      by: 'tester',
      at: new Date(0).toISOString(),
      host: 'h',
      pid: 1,
      diff: [],
      loosens: false,
    });
    await store.append(record(1, { preTrade: { maxOpenOrders: 9 } }));
    const applied: unknown[] = [];
    const monitorRules: unknown[] = [];
    const events: string[] = [];
    const follower = new LimitsFollower({
      store,
      engineId: 'e',
      clock: new ManualClock(0),
      pollIntervalMs: 10,
      leaseMs: 20,
      configLimits: { preTrade: {} },
      apply: (limits) => applied.push(limits.maxOpenOrders),
      applyMonitorRules: (rules) => monitorRules.push(rules?.dailyLoss?.limit),
      emit: (event) => events.push(`${event.type} ${event.revision}`),
      applied: () => undefined,
    });
    await follower.load();
    expect(monitorRules).toEqual([undefined]);

    await store.append(
      record(2, {
        preTrade: { maxOpenOrders: 4 },
        monitor: { rules: { dailyLoss: { action: 'engage', limit: 250 } } },
      }),
    );
    follower.start();
    await expect.poll(() => follower.revision, { timeout: 5_000 }).toBe(2);
    follower.stop();
    expect(applied).toEqual([9, 4]);
    expect(monitorRules).toEqual([undefined, 250]);
    expect(events).toEqual(['LimitsApplied 1', 'LimitsApplied 2']);
  });

  it('reports an invalid rule as LimitsApplyFailed and keeps the limits in force', async () => {
    const store = new MemoryKillSwitchStore().limits;
    await store.append({
      revision: 1,
      limits: { preTrade: { maxOpenOrders: 3 }, monitor: { rules: { dailyLoss: { limit: -5 } } } },
      reason: 'bad',
      by: 'tester',
      at: new Date(0).toISOString(),
      host: 'h',
      pid: 1,
      diff: [],
      loosens: false,
    });
    const applied: unknown[] = [];
    const events: LivegateEvent[] = [];
    const follower = new LimitsFollower({
      store,
      engineId: 'e',
      clock: new ManualClock(0),
      pollIntervalMs: 10,
      leaseMs: 20,
      configLimits: { preTrade: {} },
      apply: (limits) => applied.push(limits),
      applyMonitorRules: (rules) => applied.push(rules),
      emit: (event) => events.push(event),
      applied: () => undefined,
    });
    await follower.load();
    expect(applied).toEqual([]);
    expect(follower.revision).toBe(0);
    expect(events).toMatchObject([
      { type: 'LimitsApplyFailed', revision: 1, message: /dailyLoss\.limit/ },
    ]);
  });
});

// Graduated warnings: a loss passing 50, 75 and 90 % of dailyLoss warns once at each level, never
// twice in one episode; back under a level by 10 points, the next pass warns again; 100 % trips as before.
import { describe, expect, it } from 'vitest';
import type { RiskLimitApproached } from '../../../src/core/events.js';
import { createHarness } from './monitor-fixtures.js';

async function losing(options: Parameters<typeof createHarness>[0]) {
  const harness = await createHarness(options);
  // Long 1000 EURUSD at 10: each 0.1 the mid falls is a loss of 100.
  harness.fill('EURUSD', 'buy', 1_000, 10);
  const markAt = (mid: number) => {
    harness.tick('EURUSD', mid);
    harness.monitor.evaluate();
  };
  const warnings = () =>
    harness.events
      .filter((event): event is RiskLimitApproached => event.type === 'RiskLimitApproached')
      .map((event) => [event.rule, event.level]);
  return { harness, markAt, warnings };
}

const DAILY_LOSS = { rules: { dailyLoss: { limit: 1_000 } } };

describe('graduated warnings', () => {
  it('warns once at 50, 75 and 90 % of dailyLoss, not again within the episode', async () => {
    const { harness, markAt, warnings } = await losing(DAILY_LOSS);
    markAt(9.6); // 400: 40 %
    expect(warnings()).toEqual([]);
    markAt(9.45); // 550
    markAt(9.5); // 500: still past 50 %, no repeat
    markAt(9.45);
    markAt(9.2); // 800
    markAt(9.05); // 950
    markAt(9.06);
    expect(warnings()).toEqual([
      ['dailyLoss', 0.5],
      ['dailyLoss', 0.75],
      ['dailyLoss', 0.9],
    ]);
    const event = harness.events.find((next) => next.type === 'RiskLimitApproached');
    expect(event).toMatchObject({
      action: 'engage',
      value: expect.closeTo(550, 9) as number,
      threshold: 1_000,
      utilization: expect.closeTo(0.55, 9) as number,
      message:
        'dailyLoss at 55.0 % of its limit (550 of 1000), past the 50 % warning; at 100 % it will engage',
    });
    expect(harness.killSwitch.state).toBe('SAFE');
    expect(harness.monitor.snapshot().rules[0]).toMatchObject({
      rule: 'dailyLoss',
      warningLevel: 0.9,
    });
  });

  it('warns again in a new episode: after the loss fell 10 points below a level', async () => {
    const { markAt, warnings } = await losing(DAILY_LOSS);
    markAt(9.45); // 550
    markAt(9.58); // 420: above 40 %, the 50 % level stays spent
    markAt(9.45);
    expect(warnings()).toEqual([['dailyLoss', 0.5]]);
    markAt(10); // flat P&L: a new episode
    markAt(9.45);
    expect(warnings()).toEqual([
      ['dailyLoss', 0.5],
      ['dailyLoss', 0.5],
    ]);
  });

  it('warns once, at the highest level, when one move passes several', async () => {
    const { markAt, warnings } = await losing(DAILY_LOSS);
    markAt(9.05); // 0 to 95 % at once
    expect(warnings()).toEqual([['dailyLoss', 0.9]]);
  });

  it('trips at 100 % as before, with no warning for the levels the breach passed', async () => {
    const { harness, markAt, warnings } = await losing(DAILY_LOSS);
    markAt(8.9); // 1100
    await harness.monitor.settled();
    expect(harness.breaches().map((event) => event.rule)).toEqual(['dailyLoss']);
    expect(harness.killSwitch.state).toBe('ENGAGED');
    markAt(9.05); // back to 95 %: re-armed for the trip, the 90 % warning spent
    expect(warnings()).toEqual([]);
  });

  it('covers maxDrawdown and grossExposure by default, other rules only when listed', async () => {
    const { markAt, warnings } = await losing({
      rules: {
        maxDrawdown: { limit: 1_000, action: 'alert' },
        grossExposure: { limit: 20_000, action: 'alert' },
        positionLimit: { limit: 1_200, action: 'alert' },
      },
    });
    // At the fill: exposure 1000 × 10 = 10,000 (50 %), position 1000 of 1200 (83 %).
    markAt(9.45); // drawdown 550 from the peak at 10; exposure 9,450 (47 %: not re-armed)
    expect(warnings()).toEqual([
      ['grossExposure', 0.5],
      ['positionLimit', 0.75],
      ['maxDrawdown', 0.5],
    ]);
    const quiet = await losing({
      warnings: { rules: ['grossExposure'] },
      rules: { dailyLoss: { limit: 1_000 }, grossExposure: { limit: 19_000 } },
    });
    quiet.markAt(9.45); // loss 550 (dailyLoss not listed); exposure 9,450 of 19,000: 49.7 %
    quiet.markAt(9.5); // 9,500: 50 %
    expect(quiet.warnings()).toEqual([['grossExposure', 0.5]]);
  });

  it('is off with levels: []', async () => {
    const { markAt, warnings } = await losing({ ...DAILY_LOSS, warnings: { levels: [] } });
    markAt(9.05);
    expect(warnings()).toEqual([]);
  });
});

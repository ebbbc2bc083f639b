import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { TradingDay } from '../../../src/risk/monitor/trading-day.js';
import { createHarness } from './monitor-fixtures.js';

describe('TradingDay', () => {
  it('starts days at 00:00 UTC by default', () => {
    const day = new TradingDay({ timeZone: 'UTC', startHour: 0 });
    expect(day.keyAt(Date.UTC(2024, 0, 2, 23, 59, 59))).toBe('2024-01-02');
    expect(day.keyAt(Date.UTC(2024, 0, 3, 0, 0, 0))).toBe('2024-01-03');
  });

  it('starts an FX day at 17:00 New York, across a daylight-saving change', () => {
    const day = new TradingDay({ timeZone: 'America/New_York', startHour: 17 });
    // Winter (UTC−5): 16:59 local is 21:59 UTC, still the day that began yesterday at 17:00.
    expect(day.keyAt(Date.UTC(2024, 0, 2, 21, 59))).toBe('2024-01-01');
    expect(day.keyAt(Date.UTC(2024, 0, 2, 22, 0))).toBe('2024-01-02');
    // Summer (UTC−4): the boundary moves to 21:00 UTC.
    expect(day.keyAt(Date.UTC(2024, 6, 2, 20, 59))).toBe('2024-07-01');
    expect(day.keyAt(Date.UTC(2024, 6, 2, 21, 0))).toBe('2024-07-02');
  });
});

describe('RiskMonitor restore', () => {
  const NOON = Date.UTC(2024, 0, 2, 12);
  const options = { rules: { dailyLoss: { limit: 1_000, action: 'alert' as const } } };

  async function losingRun(clock: ManualClock) {
    const harness = await createHarness(options, { clock });
    harness.fill('EURUSD', 'buy', 1_000, 1.5);
    harness.fill('EURUSD', 'sell', 1_000, 1.0);
    harness.fill('EURUSD', 'buy', 100, 1.0);
    return harness.monitor.state();
  }

  it('carries the day’s loss, positions, peak and open rules over on the same trading day', async () => {
    const clock = new ManualClock(NOON);
    const state = await losingRun(clock);
    expect(state).toMatchObject({
      tradingDay: '2024-01-02',
      balances: { USD: -500 },
      positions: [{ symbol: 'EURUSD', quantity: 100, averagePrice: 1 }],
      openRules: [],
    });
    clock.advance(60_000);
    const next = await createHarness(options, { clock });
    next.monitor.restore(state);
    next.monitor.evaluate();
    expect(next.monitor.snapshot()).toMatchObject({ dailyPnl: -500, realizedPnl: -500 });
    expect(next.monitor.positions()).toEqual(new Map([['EURUSD', 100]]));
    // Another 500 reaches the limit: the alert fires once, and a restart does not repeat it.
    next.fill('EURUSD', 'sell', 100, 1.0);
    next.fill('EURUSD', 'buy', 1_000, 1.5);
    next.fill('EURUSD', 'sell', 1_000, 1.0);
    expect(next.breaches()).toHaveLength(1);
    const third = await createHarness(options, { clock });
    third.monitor.restore(next.monitor.state());
    third.monitor.evaluate();
    expect(third.breaches()).toHaveLength(0);
    expect(third.monitor.snapshot().rules[0]).toMatchObject({ value: 1_000, tripped: true });
  });

  it('starts the day’s P&L again on a later trading day, keeping positions and peak', async () => {
    const clock = new ManualClock(NOON);
    const state = await losingRun(clock);
    clock.advance(86_400_000);
    const next = await createHarness(options, { clock });
    next.monitor.restore(state);
    next.monitor.evaluate();
    expect(next.monitor.snapshot()).toMatchObject({
      dailyPnl: 0,
      realizedPnl: -500,
      drawdown: 500,
    });
    expect(next.monitor.state().tradingDay).toBe('2024-01-03');
  });
});

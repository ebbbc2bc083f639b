import { describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './monitor-fixtures.js';

async function expectTripped(harness: Harness, rule: string, reason: string | RegExp) {
  const record = await harness.lastRecord();
  expect(record).toMatchObject({
    state: 'ENGAGED',
    by: 'engine-a/risk-monitor',
    trigger: `risk:${rule}`,
  });
  if (typeof reason === 'string') expect(record?.reason).toBe(reason);
  else expect(record?.reason).toMatch(reason);
  expect(harness.breaches().map((event) => event.rule)).toEqual([rule]);
}

async function expectNotTripped(harness: Harness) {
  expect(harness.breaches()).toEqual([]);
  expect((await harness.lastRecord())?.state).toBe('SAFE');
}

describe('RiskMonitor rules', () => {
  it('dailyLoss: engages when the day has lost the limit, with the measured PnL in the reason', async () => {
    const harness = await createHarness({ rules: { dailyLoss: { limit: 1000 } } });
    harness.fill('EURUSD', 'buy', 100, 100);
    harness.tick('EURUSD', 90.01);
    harness.monitor.evaluate();
    await expectNotTripped(harness);
    harness.tick('EURUSD', 87.5);
    expect(harness.breaches()).toEqual([]); // a tick never evaluates
    harness.monitor.evaluate();
    await expectTripped(harness, 'dailyLoss', 'dailyLoss: daily PnL -1250.00 breached limit 1000');
    expect(harness.breaches()[0]).toEqual({
      type: 'RiskLimitBreached',
      time: harness.clock.now(),
      engineId: 'engine-a',
      rule: 'dailyLoss',
      action: 'engage',
      value: 1250,
      threshold: 1000,
      message: 'dailyLoss: daily PnL -1250.00 breached limit 1000',
    });
  });

  it('dailyLoss: a fill that realizes the loss trips at once, without waiting for the timer', async () => {
    const harness = await createHarness({ rules: { dailyLoss: { limit: 1000 } } });
    harness.fill('EURUSD', 'buy', 100, 100);
    harness.fill('EURUSD', 'sell', 100, 89);
    expect(harness.killSwitch.state).toBe('ENGAGED');
    await expectTripped(harness, 'dailyLoss', 'dailyLoss: daily PnL -1100.00 breached limit 1000');
  });

  it('maxDrawdown: engages on the fall from the equity peak, naming drawdown and peak', async () => {
    const harness = await createHarness({ rules: { maxDrawdown: { limit: 500 } } });
    harness.fill('EURUSD', 'buy', 10, 100);
    harness.tick('EURUSD', 200);
    harness.monitor.evaluate();
    harness.tick('EURUSD', 151);
    harness.monitor.evaluate();
    await expectNotTripped(harness);
    harness.tick('EURUSD', 140);
    harness.monitor.evaluate();
    await expectTripped(
      harness,
      'maxDrawdown',
      'maxDrawdown: drawdown 600.00 from equity peak 1000.00 breached limit 500',
    );
    expect(harness.breaches()[0]).toMatchObject({ value: 600, threshold: 500 });
  });

  it('positionLimit: a fill past the limit closes the gates before onEvent returns', async () => {
    const harness = await createHarness({ rules: { positionLimit: { limit: 100 } } });
    harness.fill('EURUSD', 'sell', 100, 1.1);
    expect(harness.killSwitch.state).toBe('SAFE'); // the limit itself is allowed
    harness.fill('EURUSD', 'sell', 50, 1.1);
    expect(harness.killSwitch.state).toBe('ENGAGED');
    await expectTripped(
      harness,
      'positionLimit',
      'positionLimit: EURUSD position -150 (size 150) exceeds limit 100',
    );
  });

  it('orderRate: more than the limit submitted inside the window is a runaway', async () => {
    const harness = await createHarness({ rules: { orderRate: { limit: 3, windowMs: 1000 } } });
    for (let order = 0; order < 3; order++) {
      harness.submitted();
      harness.clock.advance(400);
    }
    harness.submitted(); // the first has left the window: still 3
    await expectNotTripped(harness);
    harness.clock.advance(10);
    harness.submitted();
    expect(harness.killSwitch.state).toBe('ENGAGED');
    await expectTripped(
      harness,
      'orderRate',
      'orderRate: 4 orders submitted in 1000 ms exceeds limit 3',
    );
  });

  it('rejectRate: waits for minOrders before judging the ratio', async () => {
    const harness = await createHarness({
      rules: { rejectRate: { limit: 0.5, windowMs: 1000, minOrders: 4 } },
    });
    harness.rejected(harness.submitted());
    harness.rejected(harness.submitted());
    harness.submitted();
    harness.monitor.evaluate();
    await expectNotTripped(harness); // 2 of 3 rejected, but only 3 orders
    harness.submitted();
    harness.monitor.evaluate();
    await expectTripped(
      harness,
      'rejectRate',
      'rejectRate: 2 of 4 orders rejected (50%) in 1000 ms breached limit 50%',
    );
    expect(harness.breaches()[0]).toMatchObject({ value: 0.5, threshold: 0.5 });
  });

  it('rejectRate: a reject that crosses the ratio trips at once; old rejects slide out', async () => {
    const harness = await createHarness({
      rules: { rejectRate: { limit: 0.6, windowMs: 1000, minOrders: 5 } },
    });
    for (let order = 0; order < 5; order++) harness.submitted();
    harness.rejected();
    harness.rejected();
    harness.clock.advance(1000);
    for (let order = 0; order < 5; order++) harness.submitted();
    harness.rejected();
    harness.rejected();
    await expectNotTripped(harness); // 2 of 5 now; 4 of 5 had the old rejects still counted
    harness.rejected();
    expect(harness.killSwitch.state).toBe('ENGAGED');
    await expectTripped(harness, 'rejectRate', /^rejectRate: 3 of 5 orders rejected \(60%\)/);
  });

  it('strategyErrors: trips on the engine-reported consecutive count, naming the last error', async () => {
    const harness = await createHarness({ rules: { strategyErrors: { limit: 3 } } });
    harness.strategyFailed(1);
    harness.strategyFailed(2);
    harness.submitted(); // a success in between
    harness.monitor.evaluate();
    expect(harness.monitor.snapshot().rules[0]).toMatchObject({ value: 0, tripped: false });
    harness.strategyFailed(1);
    harness.strategyFailed(2);
    await expectNotTripped(harness);
    harness.strategyFailed(3, 'division by zero');
    expect(harness.killSwitch.state).toBe('ENGAGED');
    await expectTripped(
      harness,
      'strategyErrors',
      'strategyErrors: 3 consecutive strategy errors breached limit 3, last: division by zero',
    );
  });

  it('staleFeed: engages when no tick at all arrived for the limit', async () => {
    const harness = await createHarness({ rules: { staleFeed: { limitMs: 1000 } } });
    harness.tick('EURUSD', 1.1);
    harness.clock.advance(999);
    harness.monitor.evaluate();
    await expectNotTripped(harness);
    harness.clock.advance(1);
    harness.monitor.evaluate();
    await expectTripped(
      harness,
      'staleFeed',
      'staleFeed: no tick for 1000 ms breached limit 1000 ms',
    );
  });

  it('staleFeed: a feed that never ticks is stale too, counted from the start', async () => {
    const harness = await createHarness({
      rules: { staleFeed: { limitMs: 1000, perSymbol: true } },
    });
    harness.clock.advance(5000);
    harness.monitor.onEvent({
      type: 'RunStarted',
      time: harness.clock.now(),
      engineId: 'engine-a',
      runId: 'run-1',
      feed: 'synthetic',
      strategy: 'scripted',
      broker: 'paper',
      killSwitchStore: 'memory',
      state: 'SAFE',
      revision: 1,
    });
    harness.monitor.evaluate();
    await expectNotTripped(harness); // waiting for the feed to connect is not staleness
    harness.clock.advance(1500);
    harness.monitor.evaluate();
    await expectTripped(
      harness,
      'staleFeed',
      'staleFeed: no tick for 1500 ms breached limit 1000 ms',
    );
  });

  it('staleFeed per symbol: one silent symbol trips even while others tick', async () => {
    const harness = await createHarness({
      rules: { staleFeed: { limitMs: 1000, perSymbol: true } },
    });
    harness.tick('EURUSD', 1.1);
    harness.tick('GBPUSD', 1.3);
    for (let step = 0; step < 3; step++) {
      harness.clock.advance(400);
      harness.tick('EURUSD', 1.1);
      harness.monitor.evaluate();
    }
    await expectTripped(
      harness,
      'staleFeed',
      'staleFeed: no GBPUSD tick for 1200 ms breached limit 1000 ms',
    );
  });

  it('staleFeed overall: the same silent symbol does not trip while another ticks', async () => {
    const harness = await createHarness({ rules: { staleFeed: { limitMs: 1000 } } });
    harness.tick('EURUSD', 1.1);
    harness.tick('GBPUSD', 1.3);
    for (let step = 0; step < 3; step++) {
      harness.clock.advance(400);
      harness.tick('EURUSD', 1.1);
      harness.monitor.evaluate();
    }
    await expectNotTripped(harness);
  });

  it('latencyP99: trips on the p99 of the window, not on one slow order in a hundred', async () => {
    const harness = await createHarness({
      rules: { latencyP99: { limitMicros: 500, windowMs: 1000, minOrders: 10 } },
    });
    for (let order = 0; order < 99; order++) harness.submitted(100_000);
    harness.submitted(900_000);
    harness.monitor.evaluate();
    await expectNotTripped(harness); // p99 of 100 is the 99th: 100 us
    expect(harness.monitor.snapshot().rules[0]).toMatchObject({ value: 100, utilization: 0.2 });
    harness.clock.advance(1000);
    for (let order = 0; order < 98; order++) harness.submitted(100_000);
    harness.submitted(900_000);
    harness.submitted(800_000);
    harness.monitor.evaluate();
    await expectTripped(
      harness,
      'latencyP99',
      'latencyP99: p99 tick-to-order latency 800 us over 100 orders in 1000 ms breached limit 500 us',
    );
  });

  it('latencyP99: needs minOrders in the window; slow orders that slid out do not count', async () => {
    const harness = await createHarness({
      rules: { latencyP99: { limitMicros: 500, windowMs: 1000, minOrders: 10 } },
    });
    for (let order = 0; order < 9; order++) harness.submitted(2_000_000);
    harness.monitor.evaluate();
    await expectNotTripped(harness);
    harness.clock.advance(1000);
    for (let order = 0; order < 10; order++) harness.submitted(100_000);
    harness.monitor.evaluate();
    await expectNotTripped(harness);
    expect(harness.monitor.snapshot().rules[0]).toMatchObject({ value: 100 });
  });

  it('eventLoopStall: reads nothing until start() has begun sampling', async () => {
    const harness = await createHarness({ rules: { eventLoopStall: { limitMs: 50 } } });
    harness.monitor.evaluate();
    await expectNotTripped(harness);
    expect(harness.monitor.snapshot().rules[0]).toMatchObject({ rule: 'eventLoopStall', value: 0 });
  });
});

import { describe, expect, it } from 'vitest';
import type { KillSwitchState } from '../../../src/core/kill-switch-record.js';
import { createHarness, FailingWritesStore, until } from './monitor-fixtures.js';

const staleAfter = (action: 'engage' | 'reduce' | 'alert') => ({
  rules: { staleFeed: { limitMs: 1000, action } },
});

describe('RiskMonitor actions', () => {
  it('alert only emits RiskLimitBreached: the kill switch is not touched', async () => {
    const harness = await createHarness(staleAfter('alert'));
    harness.clock.advance(1000);
    harness.monitor.evaluate();
    await harness.monitor.settled();
    expect(harness.breaches()).toMatchObject([{ rule: 'staleFeed', action: 'alert' }]);
    expect(harness.killSwitch.state).toBe('SAFE');
    expect(await harness.store.history()).toHaveLength(1);
  });

  it('reduce moves the kill switch to REDUCING with the rule as trigger', async () => {
    const harness = await createHarness(staleAfter('reduce'));
    harness.clock.advance(1000);
    harness.monitor.evaluate();
    expect(harness.killSwitch.state).toBe('REDUCING');
    expect(await harness.lastRecord()).toMatchObject({
      state: 'REDUCING',
      by: 'engine-a/risk-monitor',
      trigger: 'risk:staleFeed',
      reason: 'staleFeed: no tick for 1000 ms breached limit 1000 ms',
    });
    expect(harness.breaches()).toMatchObject([{ action: 'reduce' }]);
  });

  it('engage moves the kill switch to ENGAGED before evaluate() returns', async () => {
    const harness = await createHarness(staleAfter('engage'));
    harness.clock.advance(1000);
    harness.monitor.evaluate();
    expect(harness.killSwitch.state).toBe('ENGAGED');
    expect(await harness.lastRecord()).toMatchObject({
      state: 'ENGAGED',
      trigger: 'risk:staleFeed',
    });
  });

  it('trips once per breach episode, however often it is evaluated', async () => {
    const harness = await createHarness(staleAfter('engage'));
    for (let step = 0; step < 10; step++) {
      harness.clock.advance(500);
      harness.monitor.evaluate();
    }
    await harness.monitor.settled();
    expect(harness.breaches()).toHaveLength(1);
    expect((await harness.store.history()).map((record) => record.state)).toEqual([
      'SAFE',
      'ENGAGED',
    ]);
    expect(harness.monitor.snapshot().rules[0]).toMatchObject({ tripped: true, value: 5000 });
  });

  it('a rule still in breach re-engages at the first evaluation after a reset (issue 10, scenario 3)', async () => {
    const harness = await createHarness(staleAfter('engage'));
    harness.clock.advance(1000);
    harness.monitor.evaluate();
    await harness.reset();
    // The code before this left the gates open here: the breach had been "answered" once.
    harness.monitor.evaluate();
    expect(harness.killSwitch.state).toBe('ENGAGED');
    await harness.monitor.settled();
    expect((await harness.store.history()).map((record) => record.state)).toEqual([
      'SAFE',
      'ENGAGED',
      'SAFE',
      'ENGAGED',
    ]);
    expect(harness.breaches()).toHaveLength(2);
    // Back under the limit, a reset stands and the rule is re-armed for the next breach.
    harness.tick('EURUSD', 1.1);
    harness.monitor.evaluate();
    await harness.reset();
    harness.monitor.evaluate();
    expect(harness.killSwitch.state).toBe('SAFE');
    expect(harness.monitor.snapshot().rules[0]).toMatchObject({ tripped: false });
  });

  it('a breach while an operator kill is in force is recorded, writes nothing, and re-trips at the reset', async () => {
    const harness = await createHarness(staleAfter('engage'));
    await harness.killSwitch.engage('manual stop', 'alice');
    harness.clock.advance(1000);
    harness.monitor.evaluate();
    await harness.monitor.settled();
    expect(harness.breaches()).toMatchObject([
      {
        rule: 'staleFeed',
        message:
          'staleFeed: no tick for 1000 ms breached limit 1000 ms (kill switch already ENGAGED: a reset re-trips it while the breach lasts)',
      },
    ]);
    expect(harness.monitor.snapshot().rules[0]).toMatchObject({ tripped: true });
    expect(await harness.lastRecord()).toMatchObject({ state: 'ENGAGED', by: 'alice' });
    for (let step = 0; step < 5; step++) harness.monitor.evaluate(); // answered: no repeats
    expect(harness.breaches()).toHaveLength(1);
    await harness.reset();
    harness.monitor.evaluate();
    expect(harness.killSwitch.state).toBe('ENGAGED');
    expect(await harness.lastRecord()).toMatchObject({ trigger: 'risk:staleFeed' });
  });

  it('a reduce rule in breach re-reduces after a reset, and REDUCING answers it', async () => {
    const harness = await createHarness(staleAfter('reduce'));
    harness.clock.advance(1000);
    harness.monitor.evaluate();
    harness.monitor.evaluate();
    expect(harness.breaches()).toHaveLength(1);
    await harness.reset();
    harness.monitor.evaluate();
    expect(harness.killSwitch.state).toBe('REDUCING');
    expect(harness.breaches()).toHaveLength(2);
  });

  it('an alert re-arms as soon as it is back under the limit', async () => {
    const harness = await createHarness(staleAfter('alert'));
    for (let episode = 0; episode < 3; episode++) {
      harness.clock.advance(1000);
      harness.monitor.evaluate();
      harness.monitor.evaluate();
      harness.tick('EURUSD', 1.1);
      harness.monitor.evaluate();
    }
    expect(harness.breaches()).toHaveLength(3);
    expect(harness.killSwitch.state).toBe('SAFE');
  });

  it('flattenOnEngage: REDUCING while flatten runs, ENGAGED after, both in the audit trail', async () => {
    const seen: KillSwitchState[] = [];
    const reasons: string[] = [];
    const harness = await createHarness(
      { flattenOnEngage: true, rules: { dailyLoss: { limit: 100 } } },
      {
        flatten: (reason) => {
          seen.push(harness.killSwitch.state);
          reasons.push(reason);
          return 2;
        },
      },
    );
    harness.fill('EURUSD', 'buy', 10, 100);
    harness.tick('EURUSD', 85);
    harness.monitor.evaluate();
    expect(harness.killSwitch.state).toBe('REDUCING'); // synchronously, before any write resolved
    await harness.monitor.settled();
    expect(seen).toEqual(['REDUCING']);
    expect(reasons).toEqual(['dailyLoss: daily PnL -150.00 breached limit 100']);
    expect(harness.killSwitch.state).toBe('ENGAGED');
    const trail = (await harness.store.history()).slice(1);
    expect(trail).toMatchObject([
      {
        state: 'REDUCING',
        trigger: 'risk:dailyLoss',
        by: 'engine-a/risk-monitor',
        reason: 'dailyLoss: daily PnL -150.00 breached limit 100; flattening before engage',
      },
      {
        state: 'ENGAGED',
        trigger: 'risk:dailyLoss',
        by: 'engine-a/risk-monitor',
        reason: 'dailyLoss: daily PnL -150.00 breached limit 100; flatten submitted 2 order(s)',
      },
    ]);
  });

  it('flattenOnEngage: two rules tripping together flatten once', async () => {
    let flattens = 0;
    const harness = await createHarness(
      {
        flattenOnEngage: true,
        rules: { dailyLoss: { limit: 100 }, maxDrawdown: { limit: 100 } },
      },
      { flatten: () => ++flattens },
    );
    harness.fill('EURUSD', 'buy', 10, 100);
    harness.tick('EURUSD', 80);
    harness.monitor.evaluate();
    await harness.monitor.settled();
    expect(harness.breaches().map((event) => event.rule)).toEqual(['dailyLoss', 'maxDrawdown']);
    expect(flattens).toBe(1);
    expect((await harness.store.history()).map((record) => record.state)).toEqual([
      'SAFE',
      'REDUCING',
      'ENGAGED',
    ]);
  });

  it('flattenOnEngage: does not flatten when an operator has already engaged', async () => {
    let flattens = 0;
    const harness = await createHarness(
      { flattenOnEngage: true, rules: { dailyLoss: { limit: 100 } } },
      { flatten: () => ++flattens },
    );
    await harness.killSwitch.engage('manual stop', 'alice');
    harness.fill('EURUSD', 'buy', 10, 100);
    harness.tick('EURUSD', 80);
    harness.monitor.evaluate();
    await harness.monitor.settled();
    expect(flattens).toBe(0);
    expect(harness.breaches()).toHaveLength(1);
    expect(await harness.lastRecord()).toMatchObject({ state: 'ENGAGED', by: 'alice' });
  });

  it('flattenOnEngage: a throwing flatten still ends ENGAGED', async () => {
    const harness = await createHarness(
      { flattenOnEngage: true, rules: { dailyLoss: { limit: 100 } } },
      {
        flatten: () => {
          throw new Error('broker gone');
        },
      },
    );
    harness.fill('EURUSD', 'buy', 10, 100);
    harness.tick('EURUSD', 80);
    harness.monitor.evaluate();
    await harness.monitor.settled();
    expect(await harness.lastRecord()).toMatchObject({
      state: 'ENGAGED',
      reason: expect.stringMatching(/flatten submitted 0 order\(s\)$/) as unknown,
    });
  });

  it('a store that cannot be written does not throw out of evaluate: the switch fails closed', async () => {
    const store = new FailingWritesStore();
    const harness = await createHarness(staleAfter('engage'), { store });
    store.failWrites = true;
    harness.clock.advance(1000);
    expect(() => harness.monitor.evaluate()).not.toThrow();
    await harness.monitor.settled();
    expect(harness.killSwitch.state).toBe('ENGAGED');
    expect(harness.killSwitch.failClosedReason?.code).toBe('ERR_STATE_WRITE_FAILED');
    expect(harness.breaches()).toHaveLength(1);
  });

  it('a store that cannot be written does not break reduce-flatten-engage either', async () => {
    const store = new FailingWritesStore();
    let flattens = 0;
    const harness = await createHarness(
      { flattenOnEngage: true, rules: { dailyLoss: { limit: 100 } } },
      { store, flatten: () => ++flattens },
    );
    store.failWrites = true;
    harness.fill('EURUSD', 'buy', 10, 100);
    harness.tick('EURUSD', 80);
    harness.monitor.evaluate();
    await harness.monitor.settled();
    expect(harness.killSwitch.state).toBe('ENGAGED');
    expect(flattens).toBe(0); // failed closed: reduce-only orders would be denied anyway
  });

  it('the timer evaluates on its own once started, and stop() ends it', async () => {
    const harness = await createHarness({
      evaluationIntervalMs: 5,
      rules: { staleFeed: { limitMs: 1000 } },
    });
    harness.monitor.start();
    try {
      harness.clock.advance(1000);
      await until(() => harness.killSwitch.state === 'ENGAGED');
      expect(await harness.lastRecord()).toMatchObject({ trigger: 'risk:staleFeed' });
    } finally {
      harness.monitor.stop();
    }
  });

  it('snapshot() reports positions, totals and every rule with its utilization', async () => {
    const harness = await createHarness({
      rules: {
        dailyLoss: { limit: 1000, action: 'alert' },
        positionLimit: { limit: 40 },
        orderRate: { limit: 10, windowMs: 1000 },
      },
    });
    harness.fill('EURUSD', 'buy', 10, 100);
    harness.submitted();
    harness.tick('EURUSD', 75);
    harness.monitor.evaluate();
    expect(harness.monitor.snapshot()).toEqual({
      positions: [
        {
          symbol: 'EURUSD',
          quantity: 10,
          averagePrice: 100,
          markPrice: 75,
          unrealizedPnl: -250,
          quoteCurrency: 'USD',
        },
      ],
      realizedPnl: 0,
      unrealizedPnl: -250,
      dailyPnl: -250,
      equityPeak: 0,
      drawdown: 250,
      grossExposure: 750,
      accountCurrency: 'USD',
      missingConversionRates: [],
      staleConversionRates: [],
      rules: [
        {
          rule: 'dailyLoss',
          action: 'alert',
          value: 250,
          threshold: 1000,
          utilization: 0.25,
          tripped: false,
          warningLevel: 0,
        },
        {
          rule: 'positionLimit',
          action: 'engage',
          value: 10,
          threshold: 40,
          utilization: 0.25,
          tripped: false,
          warningLevel: 0,
        },
        {
          rule: 'orderRate',
          action: 'engage',
          value: 1,
          threshold: 10,
          utilization: 0.1,
          tripped: false,
        },
      ],
    });
  });
});

import { describe, expect, it } from 'vitest';
import { isLivegateError, type LivegateError } from '../../../src/core/errors.js';
import { parseRiskMonitorOptions } from '../../../src/risk/monitor/risk-monitor-options.js';
import { createHarness } from './monitor-fixtures.js';

function problemsOf(input: unknown): { path: string; message: string }[] {
  try {
    parseRiskMonitorOptions(input);
  } catch (error) {
    expect(isLivegateError(error, 'ERR_CONFIG_INVALID')).toBe(true);
    return (error as LivegateError).details?.problems as { path: string; message: string }[];
  }
  throw new Error('expected the options to be refused');
}

describe('RiskMonitor options', () => {
  it('lists every bad dotted path at once', () => {
    const problems = problemsOf({
      evaluationIntervalMs: 0,
      bogus: true,
      rules: {
        dailyLoss: { limit: -1 },
        orderRate: { limit: 10 },
        rejectRate: { limit: 1.5, windowMs: 0, minOrders: 0 },
        staleFeed: { limitMs: 100, action: 'panic' },
        latencyP99: { limitMicros: 500, windowMs: 1000, minOrders: 2.5 },
        strategyErrors: { limit: 3, extra: 1 },
        madeUp: {},
      },
    });
    expect(problems.map((problem) => problem.path).sort()).toEqual(
      [
        'bogus',
        'evaluationIntervalMs',
        'rules.dailyLoss.limit',
        'rules.latencyP99.minOrders',
        'rules.madeUp',
        'rules.orderRate.windowMs',
        'rules.rejectRate.limit',
        'rules.rejectRate.minOrders',
        'rules.rejectRate.windowMs',
        'rules.staleFeed.action',
        'rules.strategyErrors.extra',
      ].sort(),
    );
  });

  it('names each path in the message too', () => {
    expect(() => parseRiskMonitorOptions({ rules: { maxDrawdown: { limit: 0 } } })).toThrow(
      /Invalid RiskMonitor options: rules\.maxDrawdown\.limit: /,
    );
  });

  it('turns every rule off and fills defaults when given nothing', () => {
    const options = parseRiskMonitorOptions({});
    expect(options).toEqual({
      evaluationIntervalMs: 100,
      flattenOnEngage: false,
      flattenTimeoutMs: 5000,
      warnings: {
        levels: [0.5, 0.75, 0.9],
        rules: ['dailyLoss', 'maxDrawdown', 'grossExposure', 'positionLimit'],
      },
      rules: {},
    });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('defaults each action to engage, staleFeed to overall and p99 to 100 orders, frozen', () => {
    const options = parseRiskMonitorOptions({
      rules: {
        staleFeed: { limitMs: 1000 },
        latencyP99: { limitMicros: 500, windowMs: 1000 },
        dailyLoss: { limit: 5, action: 'alert' },
      },
    });
    expect(options.rules).toEqual({
      staleFeed: { action: 'engage', limitMs: 1000, perSymbol: false },
      latencyP99: { action: 'engage', limitMicros: 500, windowMs: 1000, minOrders: 100 },
      dailyLoss: { action: 'alert', limit: 5 },
    });
    expect(Object.isFrozen(options.rules.staleFeed)).toBe(true);
  });

  it('does not freeze or change the caller object', () => {
    const input = { rules: { dailyLoss: { limit: 5 } } };
    parseRiskMonitorOptions(input);
    expect(Object.isFrozen(input.rules)).toBe(false);
    expect(input.rules.dailyLoss).toEqual({ limit: 5 });
  });

  it('refuses flattenOnEngage without a flatten callback to call', async () => {
    await expect(createHarness({ flattenOnEngage: true })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringMatching(/flattenOnEngage/) as unknown,
    });
  });
});

import { describe, expect, it } from 'vitest';
import { runDrillScenario, SEED_SCENARIOS } from '../../src/cli/drill-scenarios.js';

describe('the original system’s three dry-run scenarios, on the real engine and file store', () => {
  it.each(SEED_SCENARIOS.map((scenario) => [scenario.name, scenario] as const))(
    '%s',
    async (_name, scenario) => {
      const result = await runDrillScenario(scenario);
      expect({ orders: result.orders, blocked: result.blocked }).toEqual({
        orders: scenario.expectedOrders,
        blocked: scenario.expectedBlocked,
      });
      expect(result.summary.ticks).toBe(scenario.ticks);
      expect(result.summary.state).toBe(scenario.killAtTick === null ? 'SAFE' : 'ENGAGED');
    },
  );

  it('pins the exact figures of the report', () => {
    expect(
      SEED_SCENARIOS.map((scenario) => [
        scenario.ticks,
        scenario.killAtTick,
        scenario.expectedOrders,
        scenario.expectedBlocked,
      ]),
    ).toEqual([
      [10, null, 10, 0],
      [15, 5, 4, 11],
      [5, 1, 0, 5],
    ]);
  });
});

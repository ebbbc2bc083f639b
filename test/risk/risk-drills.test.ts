import { describe, expect, it } from 'vitest';
import { RISK_DRILLS } from '../../src/cli/risk-drills.js';

describe('risk drills on the real engine, risk chain, monitor and file store', () => {
  it.each(Object.keys(RISK_DRILLS))('%s: every safety outcome holds', async (name) => {
    const result = await RISK_DRILLS[name]!();
    expect(result.checks.filter((check) => !check.held)).toEqual([]);
    expect(result.passed).toBe(true);
  });
});

// Review 11c: "a key's first override loosens unless it is strictly tighter than the writer's own
// config (a value equal to its own ... needs --loosen / admin)". A whole monitor rule written as JSON
// is judged per field, but each field counts as tightening when *any* field of the rule changed: in
// `monitor.rules.orderRate={"limit":50,"windowMs":1000}` from a writer whose config says
// {limit: 100, windowMs: 1000}, the windowMs override equals the writer's config and still passes
// as a tightening (no --loosen, recorded loosens: false). Laid over an engine whose config counts
// orders over 60 s, it now counts them over 1 s: 50 a second instead of 100 a minute, loosened by an
// operator. `monitor.rules.orderRate.windowMs=1000` alone is refused, as the doc says; in the same
// `set` as `monitor.rules.orderRate.limit=50` it passes too. Seen: both forms accepted, loosens: false.
import { describe, expect, it } from 'vitest';
import { isLivegateError } from '../../../src/core/errors.js';
import type { LiveLimits } from '../../../src/core/limits-record.js';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import { limitsInForce } from '../../../src/risk/limits/limits-overrides.js';
import { changeLimits } from '../../../src/risk/limits/limits-writer.js';
import { parseAssignment } from '../../../src/risk/limits/live-limits.js';

const writerConfig: LiveLimits = {
  preTrade: {},
  monitor: { rules: { orderRate: { action: 'engage', limit: 100, windowMs: 1_000 } } },
};
const slowerEngineConfig: LiveLimits = {
  preTrade: {},
  monitor: { rules: { orderRate: { action: 'engage', limit: 100, windowMs: 60_000 } } },
};

async function operatorSets(assignments: string[]) {
  const store = new MemoryKillSwitchStore();
  try {
    const result = await changeLimits(store.limits, {
      assignments: assignments.map(parseAssignment),
      reason: 'review',
      by: 'mallory',
      mayLoosen: false,
      configLimits: writerConfig,
      host: 'h',
      pid: 1,
    });
    return { refused: false as const, record: result.record };
  } catch (error) {
    if (isLivegateError(error, 'ERR_LIMITS_LOOSENING_REFUSED')) return { refused: true as const };
    throw error;
  }
}

describe('review 11c: a whole monitor rule as JSON', () => {
  it('alone, a windowMs equal to the writer config needs --loosen (holds)', async () => {
    expect((await operatorSets(['monitor.rules.orderRate.windowMs=1000'])).refused).toBe(true);
  });

  it('beside a tightened limit of the same rule, it still needs --loosen', async () => {
    const result = await operatorSets([
      'monitor.rules.orderRate.limit=50',
      'monitor.rules.orderRate.windowMs=1000',
    ]);
    expect(result.refused, 'accepted as a tightening').toBe(true);
  });

  it('as one JSON rule, the same windowMs needs --loosen too', async () => {
    const result = await operatorSets(['monitor.rules.orderRate={"limit":50,"windowMs":1000}']);
    const enforcedBySlowerEngine = result.refused
      ? undefined
      : limitsInForce(result.record, slowerEngineConfig).monitor?.rules['orderRate'];
    expect(
      result.refused,
      `accepted as a tightening; the 60 s engine now enforces ${JSON.stringify(enforcedBySlowerEngine)}`,
    ).toBe(true);
  });
});

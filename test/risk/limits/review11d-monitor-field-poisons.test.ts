// Review 11d, found while fixing the desk orderRate trap: a monitor rule's field written alone is
// stored alone (`{"windowMs":2000}`), and a rule without its limit is invalid over an engine whose
// config has no such rule, so that engine rejects this revision and every later one (each carries
// every override). `monitor.rules.orderRate.windowMs=2000` over a writer's 1 s window is even taken
// for a tightening: an operator can do it without --loosen.
import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import type { LiveLimits } from '../../../src/core/limits-record.js';
import { limitsInForce } from '../../../src/risk/limits/limits-overrides.js';
import { changeLimits } from '../../../src/risk/limits/limits-writer.js';
import { monitorRulesOf, parseAssignment } from '../../../src/risk/limits/live-limits.js';

const writerConfig: LiveLimits = {
  preTrade: {},
  monitor: { rules: { orderRate: { action: 'engage', limit: 100, windowMs: 1_000 } } },
};
const engineWithoutRule: LiveLimits = { preTrade: {}, monitor: { rules: {} } };

describe('a monitor rule field written alone', () => {
  // Fixed: a field written alone takes the rule's required fields from the writer, or is refused.
  it('is stored valid over an engine whose config has no such rule', async () => {
    const store = new MemoryKillSwitchStore();
    let record;
    try {
      ({ record } = await changeLimits(store.limits, {
        assignments: [parseAssignment('monitor.rules.orderRate.windowMs=2000')],
        reason: 'review',
        by: 'mallory',
        mayLoosen: false,
        configLimits: writerConfig,
        host: 'h',
        pid: 1,
      }));
    } catch {
      return; // refused: nothing stored, nothing poisoned
    }
    expect(() => monitorRulesOf(limitsInForce(record, engineWithoutRule))).not.toThrow();
  });
});

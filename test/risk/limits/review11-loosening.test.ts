// Review 11: a higher burst loosens (more orders at once), but with `burst` unset the check compares
// against Infinity instead of the burst the chain actually enforces (max(1, rate)), so an operator
// can raise the burst from 2 to a million as a "tightening".
import { describe, expect, it } from 'vitest';
import { isLivegateError } from '../../../src/core/errors.js';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import { changeLimits } from '../../../src/risk/limits/limits-writer.js';
import { parseAssignment } from '../../../src/risk/limits/live-limits.js';

async function operatorSets(preTrade: Record<string, unknown>, assignment: string) {
  const store = new MemoryKillSwitchStore();
  try {
    const result = await changeLimits(store.limits, {
      assignments: [parseAssignment(assignment)],
      reason: 'review',
      by: 'mallory',
      mayLoosen: false,
      configLimits: { preTrade },
      host: 'h',
      pid: 1,
    });
    return { refused: false, loosens: result.record?.loosens };
  } catch (error) {
    if (isLivegateError(error, 'ERR_LIMITS_LOOSENING_REFUSED')) return { refused: true };
    throw error;
  }
}

describe('review 11: raising an unset burst', () => {
  it.each([
    ['engine-wide', { maxOrdersPerSecond: 2 }, 'preTrade.burst=1000000'],
    ['defaults', { defaults: { maxOrdersPerSecond: 2 } }, 'preTrade.defaults.burst=1000000'],
    [
      'a symbol',
      { symbols: { EURUSD: { maxOrdersPerSecond: 2 } } },
      'preTrade.symbols.EURUSD.burst=1000000',
    ],
  ])('%s: needs authority to loosen', async (_scope, preTrade, assignment) => {
    expect(await operatorSets(preTrade, assignment)).toEqual({ refused: true });
  });
});

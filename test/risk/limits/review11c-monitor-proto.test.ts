// Review 11c: review 11 closed `preTrade.…__proto__…` keys, but a monitor key is parsed before that
// check: `monitor.rules.__proto__.limit=5` (CLI, or an operator's POST /api/limits to an engine)
// walks onto Object.prototype of the process that applies it, and every object in that process then
// has `limit: 5`. Seen: ({}).limit === 5 after changeLimits; the ERR_USAGE that follows names
// "preTrade.limit: unknown key": the strict schemas of that process now see `limit` everywhere.
import { afterEach, describe, expect, it } from 'vitest';
import { isLivegateError } from '../../../src/core/errors.js';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import { changeLimits } from '../../../src/risk/limits/limits-writer.js';
import { parseAssignment } from '../../../src/risk/limits/live-limits.js';

afterEach(() => {
  delete (Object.prototype as Record<string, unknown>).limit;
});

describe('review 11c: monitor limits keys through __proto__', () => {
  it('refuses monitor.rules.__proto__.limit as ERR_USAGE and leaves Object.prototype alone', async () => {
    let thrown: unknown;
    try {
      const store = new MemoryKillSwitchStore();
      await changeLimits(store.limits, {
        assignments: [parseAssignment('monitor.rules.__proto__.limit=5')],
        reason: 'review',
        by: 'mallory',
        mayLoosen: false,
        configLimits: { preTrade: {}, monitor: { rules: {} } },
        host: 'h',
        pid: 1,
      });
    } catch (error) {
      thrown = error;
    }
    const polluted = ({} as Record<string, unknown>).limit;
    expect(
      { polluted, usage: isLivegateError(thrown, 'ERR_USAGE') },
      `thrown: ${String(thrown)}`,
    ).toEqual({ polluted: undefined, usage: true });
  });
});

// risk.deskView: the listing interval and the bound default from the heartbeat; a bound that is
// not above the interval would make every view stale before the next listing.
import { describe, expect, it } from 'vitest';
import { resolveDeskView } from '../../../src/risk/desk/desk-view-options.js';

describe('resolveDeskView', () => {
  it('lists every heartbeat and allows three heartbeats by default', () => {
    expect(resolveDeskView({ intervalMs: null, maxAgeMs: null }, 200)).toEqual({
      intervalMs: 200,
      maxAgeMs: 600,
    });
  });

  it('refuses a bound at or under the listing interval, naming both', () => {
    expect(() => resolveDeskView({ intervalMs: null, maxAgeMs: 1_000 }, 1_000)).toThrow(
      /ERR_CONFIG_INVALID|risk\.deskView\.maxAgeMs \(1000\) must be above the listing interval \(1000 ms\)/,
    );
  });
});

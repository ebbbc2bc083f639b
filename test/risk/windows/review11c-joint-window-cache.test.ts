// Review 11c (held): gate 2 reads a joint (desk + firm) schedule's cached flag and refreshes it only
// at its cached boundary. Walked every 5 minutes (every boundary falls on one), and on each instant's
// last millisecond before, over Friday to Wednesday around New York's (8 March 2026) and London's
// (29 March 2026) clock changes, with flatten phases on both layers: the cached phase always equals
// a fresh evaluation at that instant.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/schema.js';
import { TradingWindows } from '../../../src/risk/windows/trading-windows.js';
import type { TradingSchedule } from '../../../src/risk/windows/trading-window.js';

function windows(): TradingWindows {
  const { risk } = validateConfig({
    risk: {
      tradingWindows: {
        default: {
          timeZone: 'America/New_York',
          open: '09:30',
          close: '16:00',
          flattenMinutesBeforeClose: 5,
        },
        desks: {
          fx: {
            default: {
              timeZone: 'Europe/London',
              open: '08:00',
              close: '15:00',
              flattenMinutesBeforeClose: 10,
            },
          },
        },
      },
    },
  });
  return new TradingWindows(risk.tradingWindows, 'fx');
}

/** What gate 2 does: refresh only outside the cached period, then read the flag. */
function cachedPhase(schedule: TradingSchedule, now: number): string {
  if (now >= schedule.changesAt || now < schedule.validFrom) schedule.refresh(now);
  return schedule.phase;
}

describe('review 11c: a joint trading window cached across clock changes', () => {
  it('never differs from a fresh evaluation', () => {
    const cached = windows().forSymbol('EURUSD');
    const fresh = windows().forSymbol('EURUSD');
    const mismatches: string[] = [];
    // Friday to Wednesday around each change: New York's on 8 March, London's on 29 March.
    const instants = [6, 27].flatMap((day) =>
      Array.from({ length: 5 * 288 }, (_, i) => Date.UTC(2026, 2, day) + i * 300_000),
    );
    for (const now of instants) {
      if (mismatches.length >= 5) break;
      for (const at of [now - 1, now]) {
        fresh.refresh(at); // recomputes from scratch, whatever it cached
        const phase = cachedPhase(cached, at);
        if (phase !== fresh.phase) {
          mismatches.push(`${new Date(at).toISOString()}: cached ${phase}, fresh ${fresh.phase}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});

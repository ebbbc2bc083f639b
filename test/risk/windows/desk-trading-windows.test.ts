// A desk's trading windows (risk.tradingWindows.desks.<desk>) hold its engines on top of the firm's:
// new exposure only while both are open. Known instants on Monday 9 March 2026: New York is on EDT
// (09:30-16:00 is 13:30-20:00 UTC), London still on GMT (08:00-15:00 is 08:00-15:00 UTC).
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/schema.js';
import { TradingWindows } from '../../../src/risk/windows/trading-windows.js';

const utc = (day: number, hour: number, minute = 0) => Date.UTC(2026, 2, day, hour, minute);

function windowsOf(desk: string | null, deskWindows: Record<string, unknown>): TradingWindows {
  const { risk } = validateConfig({
    risk: {
      tradingWindows: {
        default: { timeZone: 'America/New_York', open: '09:30', close: '16:00' },
        alwaysOpen: ['BTCUSD'],
        desks: { fx: deskWindows },
      },
    },
  });
  return new TradingWindows(risk.tradingWindows, desk);
}

const LONDON = { timeZone: 'Europe/London', open: '08:00', close: '15:00' };

describe('desk trading windows', () => {
  it('hold a desk engine to both windows, naming the one that is closed', () => {
    const windows = windowsOf('fx', { default: LONDON });
    const eurusd = windows.forSymbol('EURUSD');
    // 14:00 UTC: New York and London both open.
    expect(eurusd.statusAt(utc(9, 14))).toMatchObject({ phase: 'open', nextClose: utc(9, 15) });
    expect(eurusd.accepting).toBe(true);
    // 15:30 UTC: New York open, the desk's London window closed; both open again Tuesday 13:30 UTC.
    expect(eurusd.statusAt(utc(9, 15, 30))).toMatchObject({
      phase: 'closed',
      nextOpen: utc(10, 13, 30),
    });
    expect(eurusd.accepting).toBe(false);
    expect(eurusd.name).toBe('desk:fx');
    expect(eurusd.timeZone).toBe('Europe/London');
    // 10:00 UTC: the desk is open, the firm's New York window not yet (13:30 UTC today).
    expect(eurusd.statusAt(utc(9, 10))).toMatchObject({
      phase: 'closed',
      nextOpen: utc(9, 13, 30),
    });
    expect(eurusd.name).toBe('default');
  });

  it('leave engines of other desks, and of no desk, on the firm windows alone', () => {
    for (const desk of [null, 'rates']) {
      const eurusd = windowsOf(desk, { default: LONDON }).forSymbol('EURUSD');
      expect(eurusd.statusAt(utc(9, 15, 30)).phase).toBe('open');
      expect(eurusd.name).toBe('default');
    }
  });

  it('apply a desk window to a symbol the firm leaves always open', () => {
    const btc = windowsOf('fx', { default: LONDON }).forSymbol('BTCUSD');
    expect(btc.statusAt(utc(9, 16)).phase).toBe('closed');
    expect(btc.name).toBe('desk:fx');
    const exempt = windowsOf('fx', { default: LONDON, alwaysOpen: ['EURUSD'] });
    expect(exempt.forSymbol('EURUSD').statusAt(utc(9, 15, 30)).phase).toBe('open');
    expect(exempt.forSymbol('BTCUSD').statusAt(utc(9, 15, 30)).phase).toBe('closed');
  });

  it("flatten a desk symbol from its desk window's flatten time, and list every window", () => {
    const windows = windowsOf('fx', {
      symbols: { EURUSD: { ...LONDON, close: '14:30', flattenMinutesBeforeClose: 20 } },
    });
    const eurusd = windows.forSymbol('EURUSD');
    expect(eurusd.statusAt(utc(9, 14)).phase).toBe('open');
    expect(eurusd.statusAt(utc(9, 14, 10))).toMatchObject({
      phase: 'flattening',
      nextClose: utc(9, 14, 30),
    });
    expect(eurusd.name).toBe('desk:fx/EURUSD');
    expect(windows.configured.map((window) => window.name)).toEqual(['default', 'desk:fx/EURUSD']);
    expect(windows.snapshot(utc(9, 14, 10)).map((window) => window.phase)).toEqual([
      'open',
      'flattening',
    ]);
  });

  it('keep the cached phase until the next boundary of either window', () => {
    const eurusd = windowsOf('fx', { default: LONDON }).forSymbol('EURUSD');
    eurusd.refresh(utc(9, 14));
    // The desk closes at 15:00 UTC, before New York's 20:00.
    expect(eurusd.changesAt).toBe(utc(9, 15));
    eurusd.refresh(utc(9, 15));
    expect(eurusd.accepting).toBe(false);
    // Then New York's close at 20:00 UTC is the next boundary (London opens again at 08:00).
    expect(eurusd.changesAt).toBe(utc(9, 20));
  });

  it('refuse a desk window with a bad key, naming it', () => {
    expect(() => windowsOf('fx', { default: { ...LONDON, open: '25:00' } })).toThrow(
      /risk\.tradingWindows\.desks\.fx\.default\.open/,
    );
    expect(() => windowsOf('fx', { deafult: LONDON })).toThrow(/deafult/);
  });
});

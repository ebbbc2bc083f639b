// Trading-window schedules against known instants, across New York's 2026 daylight-saving changes
// (spring forward Sunday 8 March, fall back Sunday 1 November).
import { describe, expect, it } from 'vitest';
import {
  tradingWindowSchema,
  type TradingWindowInput,
} from '../../../src/risk/windows/trading-window-options.js';
import { TradingWindow } from '../../../src/risk/windows/trading-window.js';
import { ZonedTime } from '../../../src/risk/windows/zoned-time.js';

const utc = (month: number, day: number, hour: number, minute = 0) =>
  Date.UTC(2026, month - 1, day, hour, minute);

function windowOf(options: TradingWindowInput): TradingWindow {
  return new TradingWindow('default', tradingWindowSchema.parse(options));
}

const NEW_YORK = { timeZone: 'America/New_York', open: '09:30', close: '16:00' } as const;

describe('TradingWindow', () => {
  it('opens on New York time on both sides of the March change', () => {
    const window = windowOf(NEW_YORK);
    // Friday 6 March, EST (UTC−5): 09:30-16:00 is 14:30-21:00 UTC.
    expect(window.statusAt(utc(3, 6, 14, 29))).toMatchObject({
      phase: 'closed',
      nextOpen: utc(3, 6, 14, 30),
    });
    expect(window.statusAt(utc(3, 6, 14, 30))).toMatchObject({
      phase: 'open',
      nextClose: utc(3, 6, 21),
    });
    // After Friday's close the next open is Monday 9 March, now EDT (UTC−4): 13:30 UTC.
    expect(window.statusAt(utc(3, 6, 21))).toEqual({
      phase: 'closed',
      nextOpen: utc(3, 9, 13, 30),
      nextClose: utc(3, 9, 20),
      flattenAt: null,
    });
    expect(window.accepting).toBe(false);
    expect(window.statusAt(utc(3, 9, 13, 29)).phase).toBe('closed');
    expect(window.statusAt(utc(3, 9, 13, 30)).phase).toBe('open');
    expect(window.accepting).toBe(true);
    expect(window.statusAt(utc(3, 9, 19, 59)).phase).toBe('open');
    expect(window.statusAt(utc(3, 9, 20)).phase).toBe('closed');
  });

  it('opens on New York time on both sides of the November change', () => {
    const window = windowOf(NEW_YORK);
    // Friday 30 October, EDT: closes 20:00 UTC; Monday 2 November, EST: opens 14:30 UTC.
    expect(window.statusAt(utc(10, 30, 19, 59))).toMatchObject({
      phase: 'open',
      nextClose: utc(10, 30, 20),
    });
    expect(window.statusAt(utc(10, 30, 20))).toMatchObject({
      phase: 'closed',
      nextOpen: utc(11, 2, 14, 30),
      nextClose: utc(11, 2, 21),
    });
    expect(window.statusAt(utc(11, 2, 13, 30)).phase).toBe('closed');
    expect(window.statusAt(utc(11, 2, 14, 30)).phase).toBe('open');
  });

  it('caches the phase until the next boundary and recomputes only there', () => {
    const window = windowOf(NEW_YORK);
    window.statusAt(utc(3, 9, 14));
    expect(window.changesAt).toBe(utc(3, 9, 20));
    const cached = window.statusAt(utc(3, 9, 19, 59));
    expect(window.statusAt(utc(3, 9, 15))).toBe(cached);
    // A clock stepped back before the cached period recomputes too.
    expect(window.statusAt(utc(3, 9, 13)).phase).toBe('closed');
  });

  it('has a flatten phase flattenMinutesBeforeClose before the close', () => {
    const window = windowOf({ ...NEW_YORK, flattenMinutesBeforeClose: 5 });
    expect(window.statusAt(utc(3, 9, 19, 54))).toEqual({
      phase: 'open',
      nextOpen: null,
      nextClose: utc(3, 9, 20),
      flattenAt: utc(3, 9, 19, 55),
    });
    expect(window.changesAt).toBe(utc(3, 9, 19, 55));
    expect(window.statusAt(utc(3, 9, 19, 55)).phase).toBe('flattening');
    expect(window.accepting).toBe(false);
    expect(window.changesAt).toBe(utc(3, 9, 20));
    expect(window.statusAt(utc(3, 9, 20)).phase).toBe('closed');
  });

  it('closes the next day when close is at or before open (an overnight session)', () => {
    // Sunday to Thursday evenings 17:00 New York, each to 16:00 the next day.
    const window = windowOf({
      timeZone: 'America/New_York',
      days: ['sun', 'mon', 'tue', 'wed', 'thu'],
      open: '17:00',
      close: '16:00',
    });
    // Monday 9 March 15:00 EDT: in Sunday's session.
    expect(window.statusAt(utc(3, 9, 19))).toMatchObject({
      phase: 'open',
      nextClose: utc(3, 9, 20),
    });
    // 16:30 EDT: between sessions, the next opens at 17:00.
    expect(window.statusAt(utc(3, 9, 20, 30))).toMatchObject({
      phase: 'closed',
      nextOpen: utc(3, 9, 21),
    });
    // Friday 13 March 16:00 EDT closes Thursday's session; next is Sunday 17:00.
    expect(window.statusAt(utc(3, 13, 20, 1))).toMatchObject({
      phase: 'closed',
      nextOpen: utc(3, 15, 21),
    });
  });

  it('merges whole days into one session: 00:00-24:00 Monday to Friday closes Saturday 00:00', () => {
    const window = windowOf({ timeZone: 'Europe/London', open: '00:00', close: '24:00' });
    // Wednesday 25 March 2026, before London changes to BST on Sunday 29 March (GMT = UTC).
    expect(window.statusAt(utc(3, 25, 12))).toMatchObject({
      phase: 'open',
      nextClose: utc(3, 28, 0),
    });
    // Wednesday 1 April, BST (UTC+1): Saturday 00:00 local is Friday 23:00 UTC.
    expect(window.statusAt(utc(4, 1, 12))).toMatchObject({
      phase: 'open',
      nextClose: utc(4, 3, 23),
    });
  });
});

describe('ZonedTime.instant', () => {
  const newYork = new ZonedTime('America/New_York');

  it('moves a time skipped by spring forward past the gap (02:30 -> 03:30 EDT)', () => {
    expect(newYork.instant(utc(3, 8, 2, 30))).toBe(utc(3, 8, 7, 30));
  });

  it('takes the first of a time that happens twice when clocks fall back (01:30 EDT)', () => {
    expect(newYork.instant(utc(11, 1, 1, 30))).toBe(utc(11, 1, 5, 30));
  });
});

describe('tradingWindowSchema', () => {
  it('names every problem: zone, time, empty day list, equal open and close', () => {
    const result = tradingWindowSchema.safeParse({
      timeZone: 'Mars/Olympus',
      days: [],
      open: '9:30',
      close: '24:01',
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['timeZone', 'days', 'open', 'close']));
    const same = tradingWindowSchema.safeParse({ timeZone: 'UTC', open: '10:00', close: '10:00' });
    expect(same.error?.issues[0]?.message).toMatch(/equals open \(10:00\)/);
  });
});

// `risk.tradingWindows`: when each symbol may take on new exposure, in its market's own time zone.

import * as z from 'zod';
import { isTimeZone } from '../../core/time-zone.js';
import { deskNameSchema } from '../guard/aggregate-limits.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const time = () =>
  z
    .string()
    .regex(
      /^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$|^24:00$/,
      'must be a local time HH:MM (or HH:MM:SS), 00:00 to 24:00',
    );

export const tradingWindowSchema = z
  .strictObject({
    /** IANA zone the times are in; its daylight saving applies. */
    timeZone: z.string().refine(isTimeZone, {
      message: 'must be an IANA time zone Intl knows (UTC, Europe/London, America/New_York)',
    }),
    /** Days the window opens on (local); a window that closes after midnight belongs to its opening day. */
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1, 'must list at least one day (sun, mon, tue, wed, thu, fri, sat)')
      .default(['mon', 'tue', 'wed', 'thu', 'fri']),
    /** Local time new exposure is allowed from. */
    open: time(),
    /** Local time it stops; at or before `open`, the window closes the next day. */
    close: time(),
    /** From this many minutes before the close: no new exposure, and positions are flattened. */
    flattenMinutesBeforeClose: z.number().int().min(1).max(1_440).optional(),
  })
  .check((context) => {
    const { open, close } = context.value;
    if (open === '24:00') {
      context.issues.push({
        code: 'custom',
        message: 'must be before 24:00 (use 00:00)',
        input: open,
        path: ['open'],
      });
    }
    if (open === close) {
      context.issues.push({
        code: 'custom',
        message: `equals open (${open}): a window needs a length; use open 00:00, close 24:00 for whole days`,
        input: close,
        path: ['close'],
      });
    }
  });

export type TradingWindowOptions = z.output<typeof tradingWindowSchema>;
export type TradingWindowInput = z.input<typeof tradingWindowSchema>;

const windowLayer = {
  /** The window of every symbol without its own; none: those symbols trade at any time. */
  default: tradingWindowSchema.optional(),
  /** Symbol -> its own window. */
  symbols: z.record(z.string().min(1), tradingWindowSchema).default(() => ({})),
  /** Symbols exempt from the default window: they trade at any time. */
  alwaysOpen: z.array(z.string().min(1)).default(() => []),
};

/** A desk's own windows: they hold its engines (engine.desk) on top of the firm's, never instead. */
export const deskTradingWindowsSchema = z.strictObject(windowLayer);

export const tradingWindowsSchema = z.strictObject({
  ...windowLayer,
  /** Desk -> its windows; an engine of the desk takes new exposure only when both layers allow it. */
  desks: z.record(deskNameSchema, deskTradingWindowsSchema).default(() => ({})),
});

export type DeskTradingWindowsOptions = z.output<typeof deskTradingWindowsSchema>;

export type TradingWindowsOptions = z.output<typeof tradingWindowsSchema>;

// The `risk:` section: the pre-trade chain's and the risk monitor's own option schemas, plus switches.
// One schema per component, so the config file and the library constructors accept the same thing.

import * as z from 'zod';
import { riskMonitorOptionsSchema, riskRulesSchema } from '../risk/monitor/risk-monitor-options.js';
import { isTimeZone } from '../core/time-zone.js';
import { preTradeLimitsSchema } from '../risk/pre-trade/pre-trade-limits.js';
import { aggregateLimitsSchema, deskNameSchema } from '../risk/guard/aggregate-limits.js';
import { deskViewSchema } from '../risk/desk/desk-view-options.js';
import { tradingWindowsSchema } from '../risk/windows/trading-window-options.js';

/** Currency codes as venues spell them: USD, JPY, USDT, XAU. */
const currencyCode = () =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9]{2,12}$/,
      'must be a currency code of 2-12 letters or digits (USD, JPY, USDT)',
    );

const instrumentSchema = z.strictObject({
  base: currencyCode(),
  quote: currencyCode(),
  /** Units of base per 1 of order quantity (100000 for a standard FX lot, 100 for gold in ounces). */
  contractSize: z.number().gt(0).default(1),
});

export const riskSchema = z
  .strictObject({
    /** PnL, drawdown, daily loss and gross exposure are summed in this currency (docs/risk.md). */
    accountCurrency: currencyCode().default('USD'),
    /**
     * Symbol -> base, quote, contract size. Unlisted symbols are read from their name (USDJPY,
     * BTC/USDT) or taken as quoted in the account currency; ccxt venues supply their markets.
     */
    instruments: z.record(z.string().min(1), instrumentSchema).default(() => ({})),
    /**
     * Currency -> its value in the account currency (`JPY: 0.0067`), used until the feed quotes the
     * currency against the account currency, and whenever it does not.
     */
    conversionRates: z
      .record(currencyCode(), z.number().gt(0, 'must be a rate > 0 (account currency per unit)'))
      .default(() => ({})),
    /**
     * A rate from the feed whose quotes are older than this (ms) is stale: orders that need it
     * for new exposure are denied NO_CONVERSION_RATE; positions keep being valued at it. null: no
     * expiry. A configured rate never expires and takes over from a stale one.
     */
    conversionRateMaxAgeMs: z.number().int().min(100).nullable().default(60_000),
    /** When the daily P&L (dailyLoss) starts again: `startHour` o'clock in `timeZone`. */
    tradingDay: z
      .strictObject({
        timeZone: z.string().refine(isTimeZone, {
          message: 'must be an IANA time zone Intl knows (UTC, Europe/London, America/New_York)',
        }),
        startHour: z.number().int().min(0).max(23),
      })
      .default({ timeZone: 'UTC', startHour: 0 }),
    /** Limits on the sum of a desk's engines, held by `livegate guard` (docs/risk.md). */
    desks: z.record(deskNameSchema, aggregateLimitsSchema).default(() => ({})),
    /** Limits on the sum of every engine on the store; `livegate guard` trips `global`. */
    firm: aggregateLimitsSchema.nullable().default(null),
    /** How an engine under desk or firm limits lists the others' reports (null: from the heartbeat). */
    deskView: deskViewSchema,
    /**
     * When each symbol may take on new exposure (a default and per-symbol windows, in their own
     * time zones, and a desk's own on top for its engines); outside, orders that add exposure are
     * denied OUTSIDE_TRADING_WINDOW.
     */
    tradingWindows: tradingWindowsSchema.prefault({}),
    /** Unset limits take the chain's built-in defaults (docs/risk.md). */
    preTrade: preTradeLimitsSchema.extend({ enabled: z.boolean().default(true) }).prefault({}),
    monitor: riskMonitorOptionsSchema
      .extend({
        enabled: z.boolean().default(true),
        /** Embedded defaults keep only rules that a dry run can never trip by itself. */
        rules: riskRulesSchema.default(() => ({
          staleFeed: { action: 'engage' as const, limitMs: 10_000, perSymbol: false },
          eventLoopStall: { action: 'alert' as const, limitMs: 1_000 },
          // Venue rules: silent on paper (nothing reports), on guard as soon as a venue is configured.
          venueDisconnected: { action: 'engage' as const, limitMs: 5_000 },
          feedGaps: { action: 'alert' as const, limit: 1, windowMs: 60_000 },
          reconciliation: { action: 'reduce' as const, limit: 1, windowMs: 60_000 },
        })),
      })
      .prefault({}),
  })
  .check((context) => {
    // Windows are enforced by the pre-trade chain: configured without it, they would do nothing.
    const { tradingWindows, preTrade } = context.value;
    const windowed =
      tradingWindows.default !== undefined ||
      Object.keys(tradingWindows.symbols).length > 0 ||
      Object.values(tradingWindows.desks).some(
        (desk) => desk.default !== undefined || Object.keys(desk.symbols).length > 0,
      );
    if (windowed && !preTrade.enabled) {
      context.issues.push({
        code: 'custom',
        message:
          'trading windows are enforced by the pre-trade chain: risk.preTrade.enabled must be true',
        input: tradingWindows,
        path: ['tradingWindows'],
      });
    }
  })
  .check((context) => {
    // Desk names are exact: `desks.fx` beside `tradingWindows.desks.FX` would split one desk in two,
    // and `--desk fx` would run under the limits with no window (or `FX` under the window alone).
    const { desks, tradingWindows } = context.value;
    for (const limitsDesk of Object.keys(desks)) {
      for (const windowDesk of Object.keys(tradingWindows.desks)) {
        if (limitsDesk === windowDesk || limitsDesk.toLowerCase() !== windowDesk.toLowerCase()) {
          continue;
        }
        context.issues.push({
          code: 'custom',
          message: `risk.desks.${limitsDesk} and risk.tradingWindows.desks.${windowDesk} differ only by case: spell the desk the same in both`,
          input: windowDesk,
          path: ['tradingWindows', 'desks', windowDesk],
        });
      }
    }
  })
  .check((context) => {
    // A rate for the account currency itself is always 1: a different one is a mistake.
    const { accountCurrency, conversionRates } = context.value;
    const own = conversionRates[accountCurrency];
    if (own !== undefined && own !== 1) {
      context.issues.push({
        code: 'custom',
        message: `${accountCurrency} is the account currency (risk.accountCurrency): its rate is always 1`,
        input: own,
        path: ['conversionRates', accountCurrency],
      });
    }
  });

export type RiskConfig = z.output<typeof riskSchema>;

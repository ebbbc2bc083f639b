// Desk and firm limits (`risk.desks.<name>`, `risk.firm`): what `livegate guard` holds the sum of
// several engines to. Amounts are in the guard's account currency (risk.accountCurrency).

import * as z from 'zod';

const amount = (what: string) =>
  z.number().gt(0, `must be ${what} > 0`).finite('must be finite (leave the key out for no limit)');

export const aggregateLimitsSchema = z
  .strictObject({
    /** −(Σ engines' daily P&L, realized + unrealized, fees included) may not exceed this. */
    dailyLoss: amount('an amount').optional(),
    /** Σ engines' drawdown from their own equity peaks (at least the desk's from its peak). */
    drawdown: amount('an amount').optional(),
    /** Σ engines' gross exposure (no netting between engines). */
    grossExposure: amount('an amount').optional(),
    /** |net position| per symbol, summed over the engines, for every symbol. */
    maxPosition: amount('a quantity').optional(),
    /** Per-symbol overrides of maxPosition. */
    symbols: z
      .record(z.string().min(1), z.strictObject({ maxPosition: amount('a quantity') }))
      .optional(),
    /** Orders per second summed over the engines, averaged over windowMs (from their counters). */
    orderRate: z
      .strictObject({
        limit: amount('a rate in orders per second'),
        windowMs: z.number().int().min(1_000).max(600_000).default(5_000),
      })
      .optional(),
  })
  .refine((limits) => Object.values(limits).some((value) => value !== undefined), {
    message:
      'sets no limit: give at least one of dailyLoss, drawdown, grossExposure, maxPosition, symbols, orderRate',
  });

export type AggregateLimits = z.output<typeof aggregateLimitsSchema>;

/** Desk names as scopes spell them (desk:<name>). */
export const deskNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]+$/, 'desk names are letters, digits, . _ and - (as in engine.desk)');

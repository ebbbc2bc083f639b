// The `risk:` section: pre-trade limits (gate 2) and the live risk monitor's rules.

import { z } from 'zod';

const positive = () => z.number().gt(0);

const symbolLimitsSchema = z.strictObject({
  lotSize: positive().optional(),
  minQuantity: positive().optional(),
  maxQuantity: positive().optional(),
  tickSize: positive().optional(),
  maxOrderNotional: positive().optional(),
  maxPosition: z.number().min(0).optional(),
  collarPercent: positive().optional(),
  collarTicks: positive().optional(),
  maxOrdersPerSecond: positive().optional(),
  burst: z.number().int().min(1).optional(),
});

const preTradeSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Limits for every symbol unless `symbols.<name>` overrides them. */
  defaults: symbolLimitsSchema.default(() => ({ collarPercent: 5 })),
  /** When non-empty, only these symbols may be traded (others: UNKNOWN_INSTRUMENT). */
  symbols: z.record(z.string().min(1), symbolLimitsSchema).default(() => ({})),
  restrictedSymbols: z.array(z.string().min(1)).default(() => []),
  maxGrossExposure: positive().optional(),
  maxOpenOrders: z.number().int().min(1).optional(),
  maxOrdersPerSecond: positive().optional(),
  burst: z.number().int().min(1).optional(),
  duplicateWindowMs: z.number().int().min(0).default(0),
});

const action = z.enum(['engage', 'reduce', 'alert']).default('engage');
const windowMs = () => z.number().int().min(1);

const rulesSchema = z.strictObject({
  dailyLoss: z.strictObject({ action, limit: positive() }).optional(),
  maxDrawdown: z.strictObject({ action, limit: positive() }).optional(),
  positionLimit: z.strictObject({ action, limit: positive() }).optional(),
  orderRate: z.strictObject({ action, limit: positive(), windowMs: windowMs() }).optional(),
  rejectRate: z
    .strictObject({
      action,
      limit: z.number().gt(0).max(1),
      windowMs: windowMs(),
      minOrders: z.number().int().min(1),
    })
    .optional(),
  strategyErrors: z.strictObject({ action, limit: z.number().int().min(1) }).optional(),
  staleFeed: z
    .strictObject({ action, limitMs: windowMs(), perSymbol: z.boolean().default(false) })
    .optional(),
  eventLoopStall: z.strictObject({ action, limitMs: positive() }).optional(),
  latencyP99: z
    .strictObject({
      action,
      limitMicros: positive(),
      windowMs: windowMs(),
      minOrders: z.number().int().min(1).optional(),
    })
    .optional(),
});

const monitorSchema = z.strictObject({
  enabled: z.boolean().default(true),
  evaluationIntervalMs: z.number().int().min(10).default(100),
  /** On an engage trip: go REDUCING, close positions through the gates, then ENGAGED. */
  flattenOnEngage: z.boolean().default(false),
  /** Embedded defaults keep only rules that a dry run can never trip by itself. */
  rules: rulesSchema.default(() => ({
    staleFeed: { action: 'engage' as const, limitMs: 10_000, perSymbol: false },
    eventLoopStall: { action: 'alert' as const, limitMs: 1_000 },
  })),
});

export const riskSchema = z.strictObject({
  preTrade: preTradeSchema.prefault({}),
  monitor: monitorSchema.prefault({}),
});

export type RiskConfig = z.output<typeof riskSchema>;

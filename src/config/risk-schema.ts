// The `risk:` section: the pre-trade chain's and the risk monitor's own option schemas, plus switches.
// One schema per component, so the config file and the library constructors accept the same thing.

import { z } from 'zod';
import { riskMonitorOptionsSchema, riskRulesSchema } from '../risk/monitor/risk-monitor-options.js';
import { preTradeLimitsSchema } from '../risk/pre-trade/pre-trade-limits.js';

export const riskSchema = z.strictObject({
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
});

export type RiskConfig = z.output<typeof riskSchema>;

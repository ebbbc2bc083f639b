// Strict on-disk shapes of the kill-switch record and engine report: anything else is unreadable.
// The reference for kill-switch-record-check.ts (the same checks without zod, which the file store
// and `kill` use); a test holds both to the same verdicts.
import * as z from 'zod';
import {
  KILL_SWITCH_STATES,
  type EngineReport,
  type KillSwitchRecord,
} from '../../core/kill-switch-record.js';

/** Strict: an unknown key means a writer we do not understand, so the record is not trusted. */
export const killSwitchRecordSchema = z.strictObject({
  // Revisions start at 1; z.int() also rejects unsafe integers that would compare wrongly.
  revision: z.int().min(1),
  generation: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .optional(),
  state: z.enum(KILL_SWITCH_STATES),
  reason: z.string(),
  by: z.string(),
  trigger: z.string().min(1),
  // UTC only (no offsets): the record promises ISO-8601 UTC.
  at: z.iso.datetime(),
  host: z.string().min(1),
  pid: z.int().min(0),
  origin: z
    .strictObject({
      channel: z.string().min(1),
      role: z.string().min(1).optional(),
      address: z.string().min(1).optional(),
    })
    .optional(),
});

const engineReportShape = {
  engineId: z.string().min(1),
  host: z.string(),
  pid: z.int().min(0),
  process: z
    .strictObject({
      bootId: z.string().min(1).max(64),
      pidNamespace: z.string().min(1).max(64),
      startTicks: z.int().min(0),
    })
    .optional(),
  startedAt: z.iso.datetime(),
  reportedAt: z.number().finite(),
  // 0 means the engine has not applied any revision yet.
  observedRevision: z.int().min(0),
  scopes: z.record(z.string().min(1), z.int().min(0)).optional(),
  observedAt: z.number().finite(),
  enforcedState: z.enum(KILL_SWITCH_STATES),
  failClosed: z.boolean(),
  stats: z.record(z.string(), z.union([z.number(), z.string()])),
  limitsRevision: z.int().min(0).optional(),
  limitsAt: z.string().optional(),
  risk: z
    .strictObject({
      positions: z.array(
        z.strictObject({
          symbol: z.string(),
          quantity: z.number(),
          averagePrice: z.number(),
          markPrice: z.number(),
          unrealizedPnl: z.number(),
          quoteCurrency: z.string().optional(),
          conversionRate: z.enum(['stale', 'missing']).optional(),
        }),
      ),
      realizedPnl: z.number(),
      unrealizedPnl: z.number(),
      dailyPnl: z.number(),
      equityPeak: z.number(),
      drawdown: z.number(),
      grossExposure: z.number(),
      accountCurrency: z.string().optional(),
      missingConversionRates: z.array(z.string()).optional(),
      staleConversionRates: z
        .array(
          z.strictObject({
            currency: z.string(),
            lastRate: z.number(),
            ageMs: z.number().nullable(),
          }),
        )
        .optional(),
      rules: z.array(
        z.strictObject({
          rule: z.string(),
          action: z.enum(['engage', 'reduce', 'alert']),
          value: z.number(),
          threshold: z.number(),
          utilization: z.number(),
          tripped: z.boolean(),
          warningLevel: z.number().optional(),
        }),
      ),
      tradingWindows: z
        .array(
          z.strictObject({
            window: z.string(),
            timeZone: z.string(),
            phase: z.enum(['open', 'flattening', 'closed']),
            nextOpen: z.number().nullable(),
            nextClose: z.number().nullable(),
            flattenAt: z.number().nullable(),
          }),
        )
        .optional(),
    })
    .optional(),
};

/** What this version publishes: exactly these keys. */
export const engineReportSchema = z.strictObject(engineReportShape);

/** What a reader accepts: keys from a newer version are dropped (see readEngineReport). */
export const readableEngineReportSchema = z.object(engineReportShape);

// Compile-time guard: the schemas and the core types must describe the same shapes.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const recordShapeMatches: Same<z.infer<typeof killSwitchRecordSchema>, KillSwitchRecord> = true;
// Reports carry readonly arrays in core, so only check that what the schema accepts is an EngineReport.
const reportShapeMatches: [z.infer<typeof engineReportSchema>] extends [EngineReport]
  ? true
  : false = true;
void recordShapeMatches;
void reportShapeMatches;

/** One line naming every problem, for error messages that must say what is wrong with a file. */
export function describeSchemaProblems(error: z.ZodError): string {
  return error.issues
    .map(
      (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(record)'}: ${issue.message}`,
    )
    .join('; ');
}

export {
  readEngineReport,
  unreadableEngineReport,
  validEngineReport,
} from './kill-switch-record-check.js';

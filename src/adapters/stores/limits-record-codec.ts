// The stored form of a limits record, shared by every store: strict, so a record from a writer we
// do not understand is unreadable (the engine keeps its limits) rather than half-applied.

import * as z from 'zod';
import { LivegateError } from '../../core/errors.js';
import { decodeInfinity, encodeInfinity, type LimitsRecord } from '../../core/limits-record.js';

/**
 * Built on first use, not at import: every file-store command loads this module and `kill`,
 * `reduce`, `reset` and `status` never read a limits record (~3 ms of their start-up).
 */
let limitsRecordSchema: ReturnType<typeof buildLimitsRecordSchema> | undefined;

function buildLimitsRecordSchema() {
  return z.strictObject({
    revision: z.int().min(1),
    limits: z.strictObject({
      preTrade: z.record(z.string(), z.unknown()),
      monitor: z.strictObject({ rules: z.record(z.string(), z.unknown()) }).optional(),
      // Written only when some desk or firm limit is overridden, so other records stay readable
      // by engines built before desk limits were live.
      desks: z.record(z.string(), z.unknown()).optional(),
      firm: z.record(z.string(), z.unknown()).optional(),
    }),
    overrides: z.literal(true).optional(),
    reason: z.string().min(1),
    by: z.string().min(1),
    at: z.iso.datetime(),
    host: z.string().min(1),
    pid: z.int().min(0),
    diff: z.array(
      z.strictObject({
        key: z.string().min(1),
        from: z.unknown().optional(),
        to: z.unknown().optional(),
        loosens: z.boolean(),
      }),
    ),
    loosens: z.boolean(),
    origin: z
      .strictObject({
        channel: z.string().min(1),
        role: z.string().min(1).optional(),
        address: z.string().min(1).optional(),
      })
      .optional(),
  });
}

export function serialiseLimitsRecord(record: LimitsRecord): string {
  return JSON.stringify(encodeInfinity(record));
}

/**
 * Throws ERR_STATE_UNREADABLE naming `where` when the text is not a limits record; with `revision`,
 * the error's details carry it (unreadableLimitsRevision): the store answered, the record did not.
 */
export function parseLimitsRecord(text: string, where: string, revision?: number): LimitsRecord {
  const details = revision === undefined ? undefined : { unreadableRevision: revision };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LivegateError('ERR_STATE_UNREADABLE', `limits record ${where} is not JSON`, {
      cause: error,
      ...(details === undefined ? {} : { details }),
    });
  }
  limitsRecordSchema ??= buildLimitsRecordSchema();
  const parsed = limitsRecordSchema.safeParse(json);
  if (!parsed.success) {
    throw new LivegateError(
      'ERR_STATE_UNREADABLE',
      `limits record ${where} is not a limits record: ${parsed.error.issues
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ')}`,
      details === undefined ? undefined : { details },
    );
  }
  return decodeInfinity(parsed.data) as LimitsRecord;
}

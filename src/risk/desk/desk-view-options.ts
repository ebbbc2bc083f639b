// `risk.deskView`: how often an engine under desk or firm limits lists the other engines' reports,
// and how old that view may get before new exposure fails closed (DESK_VIEW_STALE).

import * as z from 'zod';
import { LivegateError } from '../../core/errors.js';

export const deskViewSchema = z
  .strictObject({
    /** ms between listings; null: engine.heartbeatIntervalMs. */
    intervalMs: z.number().int().min(20).nullable().default(null),
    /** ms a view may age (from its listing's start); null: 3 × engine.heartbeatIntervalMs. */
    maxAgeMs: z.number().int().min(50).nullable().default(null),
  })
  .prefault({});

export type DeskViewConfig = z.output<typeof deskViewSchema>;

/** The interval and bound an engine uses; ERR_CONFIG_INVALID when the bound is not above the interval. */
export function resolveDeskView(
  config: DeskViewConfig,
  heartbeatIntervalMs: number,
): { intervalMs: number; maxAgeMs: number } {
  const intervalMs = config.intervalMs ?? heartbeatIntervalMs;
  const maxAgeMs = config.maxAgeMs ?? 3 * heartbeatIntervalMs;
  if (maxAgeMs <= intervalMs)
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `risk.deskView.maxAgeMs (${maxAgeMs}) must be above the listing interval (${intervalMs} ms), or every view would go stale before the next`,
    );
  return { intervalMs, maxAgeMs };
}

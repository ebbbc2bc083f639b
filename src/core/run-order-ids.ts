// Order ids a `livegate run` gives out: `<runId>-<n>`, its run id `<engineId>-<base36 start ms>`.
// A venue that lists only client order ids lets a restart tell its engine's earlier orders by them.

/** After `<engineId>-`: the base-36 start time (8 digits since 1973), then the order number. */
const RUN_AND_NUMBER = /^[0-9a-z]{8,12}-[0-9]{1,15}$/;

/** The id of a run of `engineId` started at `startedAt` (epoch ms). */
export function runIdOf(engineId: string, startedAt: number): string {
  return `${engineId}-${startedAt.toString(36)}`;
}

/**
 * True when `orderId` was given out by a run of exactly `engineId`: the prefix `<engineId>-` then
 * `<run>-<n>` of the run-id shape. Engine ids may contain '-': engine `desk`'s orders are not those
 * of engine `desk-2` (`desk-2-<run>-<n>` leaves three parts after `desk-`).
 */
export function isRunOrderIdOf(engineId: string, orderId: string): boolean {
  const prefix = `${engineId}-`;
  return orderId.startsWith(prefix) && RUN_AND_NUMBER.test(orderId.slice(prefix.length));
}

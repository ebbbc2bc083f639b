// A kill confirmed at the market, not by the engines: cancel-all at the venue, then read its open
// orders back until none in scope remain (cancel-all again each round) or the time runs out.

import { isFinalVenueError } from '../core/errors.js';
import { messageOf } from '../core/message-of.js';
import { settleBefore } from '../core/settle-before.js';
import type {
  CancelScope,
  VenueCanceller,
  VenueOpenOrder,
  VenuePosition,
  VenueTrade,
} from '../core/ports.js';

/** One venue's answer to a kill, as `kill` prints it and `status` shows it. */
export interface VenueReceipt {
  readonly venue: string;
  readonly scope: CancelScope;
  /** No order in scope is open at the venue any more. */
  readonly confirmed: boolean;
  /** Orders in scope seen open that are gone and did not fill completely. */
  readonly cancelled: number;
  /** Orders in scope still open when the time ran out (named); with no read-back, those last seen. */
  readonly stillOpen: readonly VenueOpenOrder[];
  /** Orders outside the scope (`own`: not livegate's), left open on purpose. */
  readonly leftOpen: number;
  /** Trades since the kill was written: fills that raced the cancel. Null: not known (below). */
  readonly racedFills: readonly VenueTrade[] | null;
  /** The venue could have listed them but the read failed (not confirmed); else it cannot list them. */
  readonly fillsUnread?: boolean;
  /** Positions left at the venue. Null: the venue cannot tell. */
  readonly positions: readonly VenuePosition[] | null;
  /** From the kill being written (or attempted) to the venue confirmed flat, or to giving up. */
  readonly afterMs: number;
  readonly rounds: number;
  /** Why it could not confirm (the venue unreachable, a refused cancel...). */
  readonly problem?: string;
  /** Which credentials were used, by variable name. */
  readonly credentials?: string;
}

export interface VenueConfirmationOptions {
  readonly scope: CancelScope;
  /** Epoch ms the kill was written (or attempted): trades after it raced the cancel. */
  readonly killWrittenAt: number;
  /** performance.now() when the kill was written; afterMs counts from it. */
  readonly startedAt: number;
  readonly timeoutMs: number;
  /** Between read-backs (default 100 ms). */
  readonly pollIntervalMs?: number;
  readonly credentials?: string;
}

/** Reads of fills and positions after the last round get this long past the deadline, no more. */
const FINAL_READS_GRACE_MS = 1_000;

export async function confirmVenueFlat(
  canceller: VenueCanceller,
  options: VenueConfirmationOptions,
): Promise<VenueReceipt> {
  const deadline = options.startedAt + options.timeoutMs;
  const inScope = (order: VenueOpenOrder) => options.scope === 'account' || order.own;
  // Every order in scope seen open, by venue id: what the kill set out to cancel.
  const targets = new Map<string, VenueOpenOrder>();
  const note = (orders: readonly VenueOpenOrder[]) => {
    for (const order of orders) if (inScope(order)) targets.set(order.venueOrderId, order);
  };
  let rounds = 0;
  let open: VenueOpenOrder[] = [];
  let problem: string | undefined;
  // What the kill sets out to cancel, for the count; until a read-back succeeds, it is also what
  // is known to be open (and named). A venue that never answers is cut off by the caller's hard
  // bound (venue-kill-step.ts).
  const listed = await canceller.openOrders().then(
    (orders) => ((open = orders), note(orders), true),
    () => false,
  );
  // Without that listing (the venue not reachable yet), the first cancel-all's own count stands in.
  let firstCancelCount: number | undefined;
  for (;;) {
    rounds += 1;
    try {
      const count = await canceller.cancelAll(options.scope);
      firstCancelCount ??= count;
      open = await canceller.openOrders();
      note(open);
      problem = undefined;
    } catch (error) {
      problem = messageOf(error);
      // The venue ended the kill's session itself: another round would only be thrown out again.
      if (isFinalVenueError(error)) break;
    }
    const remaining = open.filter(inScope);
    if (problem === undefined && remaining.length === 0) break;
    if (performance.now() >= deadline) break;
    await sleep(Math.min(options.pollIntervalMs ?? 100, Math.max(0, deadline - performance.now())));
  }
  const afterMs = performance.now() - options.startedAt;
  const stillOpen = open.filter(inScope);
  const readsBy = Math.max(deadline, performance.now()) + FINAL_READS_GRACE_MS;
  const [fills, positions] = await Promise.all([
    read(() => canceller.tradesSince(options.killWrittenAt), readsBy),
    read(() => canceller.positions(), readsBy),
  ]);
  const racedFills = fills.ok ? (fills.value ?? null) : null;
  if (!fills.ok) problem ??= `fills since the kill could not be read: ${fills.problem}`;
  return {
    venue: canceller.name,
    scope: options.scope,
    confirmed: problem === undefined && stillOpen.length === 0,
    cancelled:
      cancelledOf(targets, stillOpen, racedFills ?? []) + (listed ? 0 : (firstCancelCount ?? 0)),
    stillOpen,
    leftOpen: open.length - stillOpen.length,
    racedFills,
    fillsUnread: !fills.ok,
    positions: positions.ok ? (positions.value ?? null) : null,
    afterMs,
    rounds,
    ...(problem === undefined ? {} : { problem }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
}

/** Orders the kill set out to cancel that are gone, less those that filled completely instead. */
function cancelledOf(
  targets: ReadonlyMap<string, VenueOpenOrder>,
  stillOpen: readonly VenueOpenOrder[],
  fills: readonly VenueTrade[],
): number {
  const open = new Set(stillOpen.map((order) => order.venueOrderId));
  const filled = new Map<string, number>();
  for (const fill of fills) {
    if (fill.venueOrderId === undefined) continue;
    filled.set(fill.venueOrderId, (filled.get(fill.venueOrderId) ?? 0) + fill.quantity);
  }
  let cancelled = 0;
  for (const [id, order] of targets) {
    if (open.has(id)) continue;
    if ((filled.get(id) ?? 0) >= order.quantity - 1e-12) continue;
    cancelled += 1;
  }
  return cancelled;
}

type Read<T> = { ok: true; value: T } | { ok: false; problem: string };

async function read<T>(call: () => Promise<T>, by: number): Promise<Read<T>> {
  try {
    return {
      ok: true,
      value: await settleBefore(call(), by, () => new Error('no answer in time')),
    };
  } catch (error) {
    return { ok: false, problem: messageOf(error) };
  }
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

// A kill confirmed at the market, not by the engines: cancel-all at the venue, then read its open
// orders back until none in scope remain (cancel-all again each round) or the time runs out.

import { messageOf } from '../core/message-of.js';
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
  /** Orders the venue said it cancelled (over every cancel-all round). */
  readonly cancelled: number;
  /** Orders in scope still open when the time ran out (named). */
  readonly stillOpen: readonly VenueOpenOrder[];
  /** Orders outside the scope (`own`: not livegate's), left open on purpose. */
  readonly leftOpen: number;
  /** Trades since the kill was written: fills that raced the cancel. Null: the venue cannot list them. */
  readonly racedFills: readonly VenueTrade[] | null;
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

export async function confirmVenueFlat(
  canceller: VenueCanceller,
  options: VenueConfirmationOptions,
): Promise<VenueReceipt> {
  const deadline = options.startedAt + options.timeoutMs;
  const inScope = (order: VenueOpenOrder) => options.scope === 'account' || order.own;
  let cancelled = 0;
  let rounds = 0;
  let open: VenueOpenOrder[] = [];
  let problem: string | undefined;
  for (;;) {
    rounds += 1;
    try {
      cancelled += await canceller.cancelAll(options.scope);
      open = await canceller.openOrders();
      problem = undefined;
    } catch (error) {
      problem = messageOf(error);
    }
    const remaining = open.filter(inScope);
    if (problem === undefined && remaining.length === 0) break;
    if (performance.now() >= deadline) break;
    await sleep(Math.min(options.pollIntervalMs ?? 100, Math.max(0, deadline - performance.now())));
  }
  const afterMs = performance.now() - options.startedAt;
  const stillOpen = open.filter(inScope);
  const [racedFills, positions] = await Promise.all([
    canceller.tradesSince(options.killWrittenAt).catch(() => undefined),
    canceller.positions().catch(() => undefined),
  ]);
  return {
    venue: canceller.name,
    scope: options.scope,
    confirmed: problem === undefined && stillOpen.length === 0,
    cancelled,
    stillOpen,
    leftOpen: open.length - stillOpen.length,
    racedFills: racedFills ?? null,
    positions: positions ?? null,
    afterMs,
    rounds,
    ...(problem === undefined ? {} : { problem }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

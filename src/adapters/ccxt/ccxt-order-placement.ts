// createOrder with bounded retries that never sends an order twice: after any failure where the
// venue may have acted (a timeout, a dropped connection), the order is looked up by its client
// order id before anything is resent.

import { BadResponse, type Exchange, type Order as VenueOrder } from 'ccxt';
import type { Order } from '../../core/types.js';
import {
  backoffDelay,
  describeVendorError,
  isAmbiguous,
  isRateLimit,
  isTransient,
  rejectCodeOf,
  type BackoffOptions,
  type VenueRejectCode,
} from './ccxt-errors.js';
import { HeldBackByKillSwitch } from './venue-request-gate.js';

export type Placement =
  | { readonly kind: 'accepted'; readonly venueId: string }
  | {
      readonly kind: 'rejected';
      readonly code: VenueRejectCode;
      readonly detail: string;
      /** Ran out of attempts on network failures: the venue looks unreachable. */
      readonly unreachable: boolean;
      /** The venue may hold the order even so (the last attempts could not be checked). */
      readonly inDoubt: boolean;
    };

export interface PlacementContext {
  readonly exchange: Exchange;
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  sleep(milliseconds: number): Promise<void>;
  /** Epoch ms. */
  now(): number;
  /** Every failed attempt, for connectivity reports. */
  attemptFailed(error: unknown): void;
  attemptSucceeded(): void;
  /** Gate 3 asked again before a retry and as each createOrder leaves: false after a kill. */
  mayDepart(order: Order): boolean;
  /** Sends one createOrder in its turn behind ccxt's rate limiter, asking the gate as it leaves. */
  depart<T>(order: Order, send: () => Promise<T>): Promise<T>;
}

/** How far back a lookup searches closed orders, around clock skew and slow answers. */
const LOOKUP_LOOKBACK_MS = 60_000;

export async function placeOrder(
  context: PlacementContext,
  order: Order,
  clientOrderId: string,
): Promise<Placement> {
  const startedAt = context.now();
  let inDoubt = false;
  let lastError: unknown;
  for (let attempt = 1; attempt <= context.maxAttempts; attempt += 1) {
    if (attempt > 1) await context.sleep(backoffDelay(attempt - 1, context.backoff));
    try {
      if (inDoubt) {
        const found = await findByClientOrderId(context.exchange, order, clientOrderId, startedAt);
        if (found !== undefined) return accepted(context, found);
        inDoubt = false;
      }
      // A retry may place the order: it passes gate 3 again, like a new order.
      if (attempt > 1 && !context.mayDepart(order)) return notResent(lastError);
      const created = await context.depart(order, () =>
        context.exchange.createOrder(
          order.symbol,
          order.type,
          order.side,
          order.quantity,
          order.type === 'limit' ? order.price : undefined,
          { clientOrderId },
        ),
      );
      if (created.id !== undefined) return accepted(context, created.id);
      // Accepted without an id to follow it by: find it by client order id on the next pass.
      lastError = new BadResponse(`${context.exchange.id} accepted an order without an order id`);
      inDoubt = true;
    } catch (error) {
      if (error instanceof HeldBackByKillSwitch) return heldBack(error, lastError);
      lastError = error;
      if (!isTransient(error) && !isAmbiguous(error)) return rejected(error, false, false);
      context.attemptFailed(error);
      // A failed lookup leaves the doubt in place: nothing is resent until a lookup says "absent".
      if (isAmbiguous(error)) inDoubt = true;
    }
  }
  if (inDoubt) {
    // Out of sends, but one more look costs nothing and may turn a false reject into the truth.
    try {
      const found = await findByClientOrderId(context.exchange, order, clientOrderId, startedAt);
      if (found !== undefined) return accepted(context, found);
      inDoubt = false;
    } catch (error) {
      lastError = error;
    }
  }
  return rejected(lastError, !isRateLimit(lastError), inDoubt);
}

/** The kill switch forbade a retry: the venue did not take the order (a lookup said so, or none was in doubt). */
function notResent(lastError: unknown): Placement {
  return {
    kind: 'rejected',
    code: rejectCodeOf(lastError),
    detail: `${describeVendorError(lastError)}; not retried: the kill switch forbids sending it again`,
    unreachable: false,
    inDoubt: false,
  };
}

/** The kill switch closed while the order waited for its turn: it never left. */
function heldBack(error: HeldBackByKillSwitch, lastError: unknown): Placement {
  const before = lastError === undefined ? '' : ` (after ${describeVendorError(lastError)})`;
  return {
    kind: 'rejected',
    code: lastError === undefined ? 'VENUE_ORDER_REJECTED' : rejectCodeOf(lastError),
    detail: `${error.message}${before}`,
    unreachable: false,
    inDoubt: false,
  };
}

function accepted(context: PlacementContext, venueId: string): Placement {
  context.attemptSucceeded();
  return { kind: 'accepted', venueId };
}

function rejected(error: unknown, unreachable: boolean, inDoubt: boolean): Placement {
  const code = rejectCodeOf(error);
  const doubt = inDoubt ? ' (the venue may hold it: reconcile will say)' : '';
  return {
    kind: 'rejected',
    code,
    detail: `${describeVendorError(error)}${doubt}`,
    unreachable,
    inDoubt,
  };
}

/** The venue id of our order, open or already closed, found by the client order id we sent. */
export async function findByClientOrderId(
  exchange: Exchange,
  order: Order,
  clientOrderId: string,
  since: number,
): Promise<string | undefined> {
  // Filtered here rather than with a venue-specific query parameter, so it works on any venue.
  const matches = (candidate: VenueOrder): boolean =>
    candidate.clientOrderId === clientOrderId && candidate.id !== undefined;
  const open = await exchange.fetchOpenOrders(order.symbol);
  const match = open.find(matches);
  if (match !== undefined || exchange.has.fetchClosedOrders !== true) return match?.id;
  const closed = await exchange.fetchClosedOrders(order.symbol, since - LOOKUP_LOOKBACK_MS);
  return closed.find(matches)?.id;
}

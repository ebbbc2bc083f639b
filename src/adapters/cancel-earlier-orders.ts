// The restart step every venue broker shares: orders an earlier run of this engine id left open
// at the venue (a crash) are cancelled, then the venue's list is read again to confirm each.

import { messageOf } from '../core/message-of.js';
import type { EarlierOrderOutcome } from '../core/ports.js';
import type { Order, Side } from '../core/types.js';

/** An order as the venue lists it, reduced to what the outcome names. */
export interface ListedOrder {
  readonly clientOrderId: string | undefined;
  readonly symbol: string;
  readonly side: Side;
  /** What is left open of it at the venue. */
  readonly quantity: number;
}

export interface EarlierOrderSteps<Listed extends ListedOrder> {
  /** Every order open at the venue (one request; it rejects when the venue cannot list them). */
  list(): Promise<readonly Listed[]>;
  /** The earlier run's order a listed client order id belongs to; undefined for anyone else's. */
  earlierOrder(clientOrderId: string): Order | undefined;
  /** Cancels one listed order; a rejection is the venue's refusal or a timeout. */
  cancel(listed: Listed): Promise<unknown>;
  /**
   * What the venue's confirmation of the cancel said was left unfilled (a fill may race the
   * cancel); undefined when it did not say: what was listed open before the cancel is taken.
   */
  leftWhenCancelled?(listed: Listed): number | undefined;
}

export async function cancelEarlierOrders<Listed extends ListedOrder>(
  steps: EarlierOrderSteps<Listed>,
): Promise<EarlierOrderOutcome[]> {
  const found = (await steps.list()).flatMap((listed) => {
    const order =
      listed.clientOrderId === undefined ? undefined : steps.earlierOrder(listed.clientOrderId);
    return order === undefined ? [] : [{ listed, order, clientOrderId: listed.clientOrderId! }];
  });
  if (found.length === 0) return [];
  const problems = new Map<string, string>();
  await Promise.all(
    found.map(({ listed, clientOrderId }) =>
      steps.cancel(listed).catch((error: unknown) => {
        problems.set(clientOrderId, messageOf(error));
      }),
    ),
  );
  let stillOpen: ReadonlySet<string | undefined>;
  try {
    stillOpen = new Set((await steps.list()).map((listed) => listed.clientOrderId));
  } catch (error) {
    const why = `the venue's open orders could not be read back: ${messageOf(error)}`;
    stillOpen = new Set(found.map(({ clientOrderId }) => clientOrderId));
    for (const { clientOrderId } of found) problems.set(clientOrderId, why);
  }
  return found.map(({ listed, order, clientOrderId }) => {
    const cancelled = !stillOpen.has(clientOrderId);
    const problem = cancelled
      ? undefined
      : (problems.get(clientOrderId) ?? 'the venue still lists it open after the cancel');
    return {
      orderId: order.id,
      clientOrderId,
      symbol: listed.symbol,
      side: listed.side,
      quantity: order.quantity,
      leftQuantity: (cancelled ? steps.leftWhenCancelled?.(listed) : undefined) ?? listed.quantity,
      cancelled,
      ...(problem === undefined ? {} : { problem }),
    };
  });
}

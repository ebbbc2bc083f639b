// Who is which order on a FIX session: livegate's order id behind each ClOrdID (this run's and the
// earlier runs'), and the order or request behind each MsgSeqNum, which is all a session Reject
// (35=3) names.

import { clientOrderIdFor } from '../ccxt/ccxt-order-tracker.js';

/** Sequence numbers of orders and requests remembered for a session Reject to refer to. */
const MAX_NUMBERED = 10_000;

export class FixOrderIds {
  /** ClOrdID -> livegate's order id, for every order this broker sent or an earlier run did. */
  private readonly orderIdByClientId = new Map<string, string>();
  /** ClOrdIDs of the earlier runs of this engine id (same namespace): cancelled at start if open. */
  private readonly earlierClientIds = new Set<string>();
  private readonly orderIdBySeqNum = new Map<number, string>();
  private readonly requestIdBySeqNum = new Map<number, string>();

  /** `namespace`: the engine id the ClOrdIDs are derived from. */
  constructor(private readonly namespace: string) {}

  clientOrderId(orderId: string): string {
    return clientOrderIdFor(this.namespace, orderId);
  }

  sent(clientOrderId: string, orderId: string): void {
    this.orderIdByClientId.set(clientOrderId, orderId);
  }

  /** An earlier process's order. The `.orders` file is the session's: only this engine id's count as its own. */
  sentEarlier(clientOrderId: string, orderId: string): void {
    this.orderIdByClientId.set(clientOrderId, orderId);
    if (clientOrderId === this.clientOrderId(orderId)) this.earlierClientIds.add(clientOrderId);
  }

  get hasEarlier(): boolean {
    return this.earlierClientIds.size > 0;
  }

  /** The earlier run's order id behind a ClOrdID of this engine id; undefined for anyone else's. */
  earlierOrderIdOf(clientOrderId: string): string | undefined {
    return this.earlierClientIds.has(clientOrderId) ? this.orderIdOf(clientOrderId) : undefined;
  }

  orderIdOf(clientOrderId: string | undefined): string | undefined {
    return clientOrderId === undefined ? undefined : this.orderIdByClientId.get(clientOrderId);
  }

  orderNumbered(seqNum: number, orderId: string): void {
    remember(this.orderIdBySeqNum, seqNum, orderId);
  }

  requestNumbered(seqNum: number, requestId: string): void {
    remember(this.requestIdBySeqNum, seqNum, requestId);
  }

  orderIdOfSeqNum(seqNum: number | undefined): string | undefined {
    return seqNum === undefined ? undefined : this.orderIdBySeqNum.get(seqNum);
  }

  requestIdOfSeqNum(seqNum: number | undefined): string | undefined {
    return seqNum === undefined ? undefined : this.requestIdBySeqNum.get(seqNum);
  }
}

/** Notes what went out with `seqNum`; a Reject comes within moments, so the oldest are let go. */
function remember(bySeqNum: Map<number, string>, seqNum: number, id: string): void {
  bySeqNum.set(seqNum, id);
  if (bySeqNum.size > MAX_NUMBERED) {
    const oldest = bySeqNum.keys().next();
    if (oldest.done !== true) bySeqNum.delete(oldest.value);
  }
}

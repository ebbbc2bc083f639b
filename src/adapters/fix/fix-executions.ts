// The venue's answers to the broker: ExecutionReports (acks, partial fills, rejects, cancels,
// expiries, mass status), cancel rejects, mass cancel reports and business rejects, each mapped
// onto the Broker port the way the gateway and ccxt brokers map theirs.

import type { BrokerListener, VenueReport } from '../../core/ports.js';
import type { GatewayOrderTracker } from '../gateway/gateway-order-tracker.js';
import {
  MASS_CANCEL_REJECTED,
  MsgType,
  nothingToCancel,
  number,
  readExecutionReport,
  text,
  type ExecutionReport,
} from './fix-messages.js';
import type { FixRequest, FixRequests } from './fix-requests.js';
import type { FixMessage } from './fix-session-link.js';

/** What the reports act on: the broker's orders, requests and listener. */
export interface FixExecutionHost {
  readonly orders: GatewayOrderTracker;
  readonly requests: FixRequests;
  readonly listener: BrokerListener | undefined;
  orderIdOf(clientOrderId: string | undefined): string | undefined;
  /** The order whose NewOrderSingle went out with this MsgSeqNum. */
  orderIdOfSeqNum(seqNum: number | undefined): string | undefined;
  /** The request (cancel, mass cancel, mass status) that went out with this MsgSeqNum. */
  requestIdOfSeqNum(seqNum: number | undefined): string | undefined;
  report(kind: VenueReport['kind'], detail: string): void;
}

/** ExecType (150) values that only say the order is working. */
const WORKING = new Set(['0', 'A', '5', '6', 'E', 'D', 'I']);
const DONE_EXPIRED = new Set(['C', '3']);
/** The requests a reject (35=j, 35=3) may refer to, by the MsgType it names. */
const REQUEST_TYPES: ReadonlySet<string> = new Set([
  MsgType.OrderCancelRequest,
  MsgType.OrderMassCancelRequest,
  MsgType.OrderMassStatusRequest,
]);
/** Polling step while waiting for a mass cancel's per-order reports. */
const SETTLE_STEP_MS = 5;

export class FixExecutions {
  /** Orders a mass cancel is ending: their cancels were asked for, whenever the report comes. */
  private readonly massCancelling = new Set<string>();
  /**
   * While the restart cancels earlier orders: what each cancel's report left unfilled (OrderQty
   * minus CumQty), by the order's ClOrdID. A fill racing the cancel is counted, the first status not.
   */
  leftWhenCancelled: Map<string, number> | undefined;

  constructor(private readonly host: FixExecutionHost) {}

  received(msgType: string, message: FixMessage): void {
    switch (msgType) {
      case MsgType.ExecutionReport:
        return this.executionReport(readExecutionReport(message));
      case MsgType.OrderCancelReject:
        return this.cancelRejected(message);
      case MsgType.OrderMassCancelReport:
        return this.massCancelReported(message);
      case MsgType.BusinessMessageReject:
        return this.businessReject(message);
      case MsgType.Reject:
        return this.sessionReject(message);
      default:
        return;
    }
  }

  /**
   * Resolves once every order in `orderIds` is finished (the venue's per-order reports of a mass
   * cancel may follow its report), or after the request timeout.
   */
  async settled(orderIds: readonly string[]): Promise<void> {
    const deadline = performance.now() + this.host.requests.timeoutMs;
    try {
      while (orderIds.some((id) => this.host.orders.get(id) !== undefined)) {
        if (performance.now() > deadline) return;
        await new Promise((resolve) => setTimeout(resolve, SETTLE_STEP_MS));
      }
    } finally {
      for (const id of orderIds) this.massCancelling.delete(id);
    }
  }

  /** Before a mass cancel goes out: the orders it will end. */
  expectMassCancel(orderIds: readonly string[]): void {
    for (const id of orderIds) this.massCancelling.add(id);
  }

  private executionReport(report: ExecutionReport): void {
    const statusRequest = this.host.requests.get(report.massStatusRequestId);
    if (statusRequest !== undefined) return this.statusReported(statusRequest.id, report);
    if (report.massStatusRequestId !== undefined) return; // a late answer to a timed-out request
    const orderId =
      this.host.orderIdOf(report.clientOrderId) ??
      this.host.orderIdOf(report.originalClientOrderId);
    // A cancel this session asked for answers it, whoever's order it was (a kill's session).
    if (report.execType === '4') return this.cancelled(orderId, report);
    if (orderId === undefined) return this.unknownOrder(report);
    if (report.execType === 'F' || report.execType === '1' || report.execType === '2') {
      return this.filled(orderId, report);
    }
    if (report.execType === '8') return this.rejected(orderId, report);
    if (DONE_EXPIRED.has(report.execType)) return this.ended(orderId, 'expired');
    if (WORKING.has(report.execType)) return this.acknowledged(orderId, report);
  }

  private acknowledged(orderId: string, report: ExecutionReport): void {
    const tracked = this.host.orders.get(orderId);
    if (tracked === undefined) return;
    tracked.acknowledged = true;
    tracked.venueOrderId = report.venueOrderId ?? tracked.venueOrderId;
  }

  private filled(orderId: string, report: ExecutionReport): void {
    const { orders, listener } = this.host;
    // A replay (PossDupFlag) or a repeated report carries an ExecID seen before: one fill each.
    const executionId = report.executionId ?? `${orderId}:${report.transactTime ?? ''}`;
    if (!orders.firstFill(executionId)) return;
    const tracked = orders.get(orderId);
    // A fill after the order finished (it traded as it was cancelled) is still a real trade.
    const order = tracked?.order ?? orders.finishedOrder(orderId);
    if (order === undefined || report.lastQuantity <= 0) return;
    if (tracked !== undefined) {
      tracked.acknowledged = true;
      tracked.venueOrderId = report.venueOrderId ?? tracked.venueOrderId;
      const complete = orders.addFill(tracked, report.lastQuantity) || report.orderStatus === '2';
      if (complete) orders.finish(orderId);
    }
    listener?.onFill({
      orderId,
      symbol: order.symbol,
      side: order.side,
      quantity: report.lastQuantity,
      price: report.lastPrice,
      time: report.transactTime ?? Date.now(),
      ...(report.commission === undefined ? {} : { fee: report.commission }),
      ...(report.executionId === undefined ? {} : { executionId: report.executionId }),
    });
  }

  private cancelled(orderId: string | undefined, report: ExecutionReport): void {
    const { orders, requests, listener } = this.host;
    this.noteLeftWhenCancelled(report);
    const cancel =
      requests.get(report.clientOrderId) ??
      (orderId === undefined ? undefined : requests.cancelFor(orderId));
    if (orderId === undefined) {
      if (cancel !== undefined) requests.answer(cancel.id, true);
      return;
    }
    const known = orders.get(orderId) !== undefined;
    orders.finish(orderId);
    // Asked for: a cancel of this order, or a mass cancel open (whose reports these are).
    const asked =
      cancel !== undefined || requests.has('mass-cancel') || this.massCancelling.delete(orderId);
    if (known) listener?.onOrderDone(orderId, asked ? 'cancelled' : 'expired');
    if (cancel !== undefined) requests.answer(cancel.id, true);
  }

  private noteLeftWhenCancelled(report: ExecutionReport): void {
    const ordered = report.orderQuantity;
    const filled = report.cumulativeQuantity;
    const clientOrderId = report.originalClientOrderId ?? report.clientOrderId;
    if (this.leftWhenCancelled === undefined || clientOrderId === undefined) return;
    if (ordered === undefined || filled === undefined) return;
    this.leftWhenCancelled.set(clientOrderId, Math.max(0, ordered - filled));
  }

  private rejected(orderId: string, report: ExecutionReport): void {
    const { orders, listener } = this.host;
    if (orders.get(orderId) === undefined) return;
    orders.finish(orderId);
    const reason = report.text ?? 'no reason given';
    listener?.onReject(orderId, `VENUE_REJECTED: ${reason}`);
  }

  private ended(orderId: string, reason: 'expired'): void {
    const { orders, listener } = this.host;
    if (orders.get(orderId) === undefined) return;
    orders.finish(orderId);
    listener?.onOrderDone(orderId, reason);
  }

  private statusReported(requestId: string, report: ExecutionReport): void {
    const request = this.host.requests.get(requestId);
    if (request === undefined) return;
    // A report with TotNumReports 0 says there is nothing to report.
    if (report.totalReports !== 0) request.reports.push(report);
    const complete =
      report.lastReport ||
      report.totalReports === 0 ||
      (report.totalReports !== undefined && request.reports.length >= report.totalReports);
    if (complete) this.host.requests.answer(requestId, request.reports);
  }

  private cancelRejected(message: FixMessage): void {
    const { requests } = this.host;
    const request = requests.get(text(message['ClOrdID']));
    if (request === undefined) return;
    if (nothingToCancel(message)) return requests.answer(request.id, false);
    const why = text(message['Text']) ?? `CxlRejReason ${String(message['CxlRejReason'])}`;
    requests.fail(request.id, `cancel refused by the venue: ${why}`);
  }

  private massCancelReported(message: FixMessage): void {
    const { requests } = this.host;
    const request = requests.get(text(message['ClOrdID']));
    if (request === undefined) return;
    if (text(message['MassCancelResponse']) === MASS_CANCEL_REJECTED) {
      const why = text(message['Text']) ?? `reason ${String(message['MassCancelRejectReason'])}`;
      return this.refused(request, why);
    }
    requests.answer(request.id, number(message['TotalAffectedOrders']) ?? 0);
  }

  /**
   * A request the venue would not take, however it said so (35=r 531=0, 35=j, 35=3): a refused
   * mass cancel answers undefined (the broker and the kill then cancel order by order), a cancel
   * or a mass status fails at once with the venue's words instead of waiting for its timeout.
   */
  private refused(request: FixRequest, why: string): void {
    const { requests } = this.host;
    if (request.kind === 'mass-cancel') {
      this.host.report('reconciliation-mismatch', `mass cancel refused by the venue: ${why}`);
      return requests.answer(request.id, undefined);
    }
    requests.fail(request.id, `${request.kind} refused by the venue: ${why}`);
  }

  /** A business-level reject (35=j): of an order it ends it like an ExecType 8; of a request, see refused(). */
  private businessReject(message: FixMessage): void {
    const refMsgType = text(message['RefMsgType']);
    const why =
      text(message['Text']) ?? `BusinessRejectReason ${String(message['BusinessRejectReason'])}`;
    if (refMsgType !== undefined && REQUEST_TYPES.has(refMsgType)) {
      const request = this.host.requests.get(text(message['BusinessRejectRefID']));
      return request === undefined ? undefined : this.refused(request, why);
    }
    if (refMsgType !== MsgType.NewOrderSingle) return;
    const orderId = this.host.orderIdOf(text(message['BusinessRejectRefID']));
    if (orderId === undefined || this.host.orders.get(orderId) === undefined) return;
    this.host.orders.finish(orderId);
    this.host.listener?.onReject(
      orderId,
      `VENUE_REJECTED: ${text(message['Text']) ?? 'business reject'}`,
    );
  }

  /**
   * A session-level reject (35=3) of a NewOrderSingle, found by the MsgSeqNum it refers to: the
   * order never reached the venue's book, so it ends rejected rather than working forever.
   */
  private sessionReject(message: FixMessage): void {
    const refMsgType = text(message['RefMsgType']);
    const refSeqNum = number(message['RefSeqNum']);
    if (refMsgType === undefined || REQUEST_TYPES.has(refMsgType)) {
      const request = this.host.requests.get(this.host.requestIdOfSeqNum(refSeqNum));
      const reason = text(message['SessionRejectReason']);
      const why = `session reject: ${text(message['Text']) ?? 'no reason given'}${reason === undefined ? '' : ` (SessionRejectReason ${reason})`}`;
      if (request !== undefined) return this.refused(request, why);
    }
    if (refMsgType !== undefined && refMsgType !== MsgType.NewOrderSingle) return;
    const orderId = this.host.orderIdOfSeqNum(refSeqNum);
    if (orderId === undefined || this.host.orders.get(orderId) === undefined) return;
    this.host.orders.finish(orderId);
    const reason = text(message['SessionRejectReason']);
    const why = text(message['Text']) ?? 'no reason given';
    this.host.listener?.onReject(
      orderId,
      `VENUE_REJECTED: session reject: ${why}${reason === undefined ? '' : ` (SessionRejectReason ${reason})`}`,
    );
  }

  private unknownOrder(report: ExecutionReport): void {
    // Orders placed outside livegate, or by another session on the account, are none of ours.
    if (report.execType !== 'F') return;
    this.host.report(
      'reconciliation-mismatch',
      `fill ${report.executionId ?? '?'} for order ${report.clientOrderId ?? report.venueOrderId ?? '?'}, which this broker did not send`,
    );
  }
}

// Orders at a FIX 4.4 venue: NewOrderSingle with livegate's client order id as ClOrdID, the
// venue's ExecutionReports mapped onto the Broker port (acks, partial fills, rejects, cancels),
// OrderMassCancelRequest for cancel-all (per-order cancels when the venue refuses it) and
// OrderMassStatusRequest for reconciliation and for orders left unanswered by a lost session.

import { LivegateError } from '../../core/errors.js';
import type {
  Broker,
  BrokerListener,
  EarlierOrderOutcome,
  EarlierOrders,
  ReconciliationResult,
  VenueReport,
} from '../../core/ports.js';
import type { Order } from '../../core/types.js';
import { cancelEarlierOrders } from '../cancel-earlier-orders.js';
import { orderProblem } from '../gateway/gateway-orders.js';
import { GatewayOrderTracker } from '../gateway/gateway-order-tracker.js';
import { FixExecutions, type FixExecutionHost } from './fix-executions.js';
import { FixOrderFile, orderFilePath } from './fix-order-file.js';
import { FixOrderIds } from './fix-order-ids.js';
import {
  MsgType,
  newOrderSingle,
  orderCancelRequest,
  orderMassCancelRequest,
  orderMassStatusRequest,
  type ExecutionReport,
} from './fix-messages.js';
import {
  fixBrokerOptionsSchema,
  parseFixOptions,
  sessionSettingsOf,
  type FixBrokerOptions,
  type FixBrokerSettings,
} from './fix-options.js';
import { FixRequests } from './fix-requests.js';
import { FixSessionLink } from './fix-session-link.js';
import { settleUnansweredOrders, type UnansweredOrdersHost } from './fix-unanswered-orders.js';
import { reconcileWithFixVenue, venueOpenOrderOf, type FixOpenOrder } from './fix-status.js';

/**
 * The venue's reports are taken as received in the sequence file only this long after they came:
 * well past the engine journal's 100 ms, so a crash that loses journaled fills has them resent.
 */
const INCOMING_SAVE_LAG_MS = 1_000;

export class FixBroker implements Broker, FixExecutionHost, UnansweredOrdersHost {
  readonly name: string;
  readonly settings: FixBrokerSettings;
  readonly orders = new GatewayOrderTracker();
  readonly requests: FixRequests;
  private readonly link: FixSessionLink;
  private readonly executions: FixExecutions;
  /** Every order this session sent, kept across processes; none when the numbers are in memory. */
  private readonly orderFile: FixOrderFile | undefined;
  private readonly ids: FixOrderIds;
  listener: BrokerListener | undefined;
  private state: 'new' | 'connecting' | 'open' | 'closed' = 'new';
  private connectWaiter: ((outcome: 'logged-on' | 'refused') => void) | undefined;

  constructor(options: FixBrokerOptions) {
    this.settings = parseFixOptions('FixBroker', fixBrokerOptionsSchema, options);
    this.ids = new FixOrderIds(this.settings.clientOrderIdNamespace);
    const session = {
      ...sessionSettingsOf(this.settings),
      incomingSaveLagMs: INCOMING_SAVE_LAG_MS,
    };
    this.link = new FixSessionLink(session, {
      onLoggedOn: (first) => this.loggedOn(first),
      onMessage: (msgType, message) => this.executions.received(msgType, message),
      onLoggedOut: (reason) => this.loggedOut(reason),
      onRefused: (problem) => this.refused(problem),
    });
    this.name = `fix:${this.link.venue}`;
    this.requests = new FixRequests(
      this.settings.requestTimeoutMs,
      this.name,
      () => this.link.disconnectedBecause,
    );
    this.executions = new FixExecutions(this);
    const { sequenceFile } = this.settings;
    this.orderFile =
      sequenceFile === null ? undefined : new FixOrderFile(orderFilePath(sequenceFile));
  }

  /**
   * The earlier runs' orders (their ClOrdIDs come from the same engine id) and the ExecIDs already
   * journaled: the venue's resend of their reports applies each late fill once and flags none.
   */
  recognise(earlier: EarlierOrders): void {
    for (const order of earlier.orders) this.rememberEarlier(this.clientOrderIdOf(order.id), order);
    for (const executionId of earlier.executionIds) this.orders.firstFill(executionId);
  }

  /** Resolves at the first logon; rejects with ERR_BROKER_FAILED when none comes in time. */
  async connect(listener: BrokerListener): Promise<void> {
    if (this.state !== 'new') throw this.failure(`connect() when already ${this.state}`);
    this.listener = listener;
    this.state = 'connecting';
    const loggedOn = new Promise<'logged-on' | 'refused'>(
      (resolve) => (this.connectWaiter = resolve),
    );
    try {
      // Read once the session lock is ours (a refused process leaves the file as it was), and
      // before the logon: the venue's resend may report on these orders at once.
      await this.link.start(() => {
        for (const sent of this.orderFile?.readEarlier() ?? []) {
          this.rememberEarlier(sent.clientOrderId, sent.order);
        }
      });
    } catch (error) {
      this.state = 'closed';
      throw error;
    }
    const timeout = this.settings.requestTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeout);
    });
    const outcome = await Promise.race([loggedOn, timedOut]);
    clearTimeout(timer);
    if (outcome === 'refused') {
      const why = this.link.disconnectedBecause;
      await this.close();
      throw this.failure(`logon refused: ${why}`);
    }
    if (outcome === 'timeout') {
      const why = this.link.disconnectedBecause;
      await this.close();
      throw this.failure(`no logon at the venue within ${timeout} ms (${why})`);
    }
  }

  /**
   * The earlier runs' orders the venue still lists open: nobody manages them now, so each is
   * cancelled, then the venue's list is read again to confirm. Fills racing a cancel are applied
   * once (the order is remembered). Another engine's or system's orders are left alone.
   */
  async cancelEarlierOrders(): Promise<EarlierOrderOutcome[]> {
    if (!this.ids.hasEarlier) return [];
    const leftWhenCancelled = new Map<string, number>();
    this.executions.leftWhenCancelled = leftWhenCancelled;
    try {
      return await this.cancelEarlierOrdersAtVenue(leftWhenCancelled);
    } finally {
      this.executions.leftWhenCancelled = undefined;
    }
  }

  private cancelEarlierOrdersAtVenue(
    leftWhenCancelled: ReadonlyMap<string, number>,
  ): Promise<EarlierOrderOutcome[]> {
    return cancelEarlierOrders({
      list: () => this.venueOpenOrders(),
      earlierOrder: (clientOrderId) => {
        const orderId = this.ids.earlierOrderIdOf(clientOrderId);
        return orderId === undefined ? undefined : this.orders.finishedOrder(orderId);
      },
      cancel: (order) => this.cancelAtVenue(order),
      leftWhenCancelled: (order) => leftWhenCancelled.get(order.clientOrderId),
    });
  }

  /** Set while this session's sequence file cannot be written (fix-sequence-file.ts). */
  get sequenceSaveFailure(): string | undefined {
    return this.link.sequenceSaveFailure;
  }

  submit(order: Order): void {
    const listener = this.listener;
    if (listener === undefined || this.state === 'new' || this.state === 'closed') {
      const when = this.state === 'closed' ? 'after close()' : 'before connect()';
      throw this.failure(`submit(${order.id}) ${when}`, { orderId: order.id });
    }
    const problem =
      orderProblem(order) ?? (this.orders.known(order.id) ? 'DUPLICATE_ORDER_ID' : null);
    if (problem !== null) return listener.onReject(order.id, problem);
    const unsaved = this.link.sequenceSaveFailure;
    if (unsaved !== undefined) {
      // A new order numbered now could be re-used by the next process: none is sent.
      return listener.onReject(
        order.id,
        `FIX_SEQNUMS_UNSAVED: sequence numbers cannot be saved (${unsaved}); the order was not sent`,
      );
    }
    if (!this.link.isLoggedOn) {
      const why = this.link.disconnectedBecause;
      return listener.onReject(order.id, `FIX_SESSION_DOWN: ${why}; the order was not sent`);
    }
    const clientOrderId = this.clientOrderIdOf(order.id);
    const unrecorded = this.orderFile?.record(clientOrderId, order);
    if (unrecorded !== undefined) {
      // A restart after a crash would not know this order (the journal may lag): none is sent.
      const file = this.orderFile?.path ?? '';
      return listener.onReject(
        order.id,
        `FIX_ORDERS_UNSAVED: the order cannot be recorded in ${file} (${unrecorded}); the order was not sent`,
      );
    }
    this.ids.sent(clientOrderId, order.id);
    this.orders.track(order);
    this.link.send(
      MsgType.NewOrderSingle,
      newOrderSingle(order, clientOrderId, this.settings.account),
      (seqNum) => this.ids.orderNumbered(seqNum, order.id),
    );
  }

  /** True when the venue cancelled it; false when it had no open order of that id. */
  async cancel(orderId: string): Promise<boolean> {
    if (this.state === 'closed') throw this.failure(`cancel(${orderId}) after close()`);
    const tracked = this.orders.get(orderId);
    // FIX needs the order's side and symbol to cancel it: an order this broker does not follow
    // is not open as far as it knows.
    if (tracked === undefined) return false;
    const target = {
      clientOrderId: this.clientOrderIdOf(orderId),
      venueOrderId: tracked.venueOrderId,
      symbol: tracked.order.symbol,
      side: tracked.order.side,
      quantity: tracked.order.quantity,
    };
    return this.requests.send<boolean>(
      'cancel',
      (id) =>
        this.link.send(
          MsgType.OrderCancelRequest,
          orderCancelRequest(target, id, this.settings.account),
          (seqNum) => this.ids.requestNumbered(seqNum, id),
        ),
      orderId,
    );
  }

  /**
   * Scope `account`: the venue's mass cancel (35=q, 530=7), or, where it refuses one or has none,
   * a cancel per open order it lists. Scope `own`: this broker's live orders one by one.
   */
  async cancelAll(scope?: 'account' | 'own'): Promise<number> {
    if (this.state === 'closed') throw this.failure('cancelAll() after close()');
    if ((scope ?? this.settings.cancelScopeOnKill) === 'own')
      return this.cancelEach(this.liveIds());
    const before = this.liveIds();
    this.executions.expectMassCancel(before);
    try {
      const cancelled = this.settings.massCancel ? await this.massCancel() : undefined;
      if (cancelled === undefined) return await this.cancelEachAtVenue();
      return cancelled;
    } finally {
      await this.executions.settled(before);
    }
  }

  /** 35=q; resolves to the venue's count, or undefined when it refused the mass cancel. */
  massCancel(): Promise<number | undefined> {
    return this.requests.send<number | undefined>('mass-cancel', (id) =>
      this.link.send(
        MsgType.OrderMassCancelRequest,
        orderMassCancelRequest(id, this.settings.account),
        (seqNum) => this.ids.requestNumbered(seqNum, id),
      ),
    );
  }

  /** Every order open at the venue on this session's account (35=AF, answered by 35=8 150=I). */
  async venueOpenOrders(): Promise<FixOpenOrder[]> {
    if (this.state === 'closed') throw this.failure('mass status after close()');
    const reports = await this.requests.send<ExecutionReport[]>('mass-status', (id) =>
      this.link.send(
        MsgType.OrderMassStatusRequest,
        orderMassStatusRequest(id, this.settings.account),
        (seqNum) => this.ids.requestNumbered(seqNum, id),
      ),
    );
    return reports.flatMap((report) => venueOpenOrderOf(report) ?? []);
  }

  /** Cancels one order the venue lists (35=F); false when the venue says it is not open. */
  cancelAtVenue(order: FixOpenOrder): Promise<boolean> {
    const orderId = this.ids.orderIdOf(order.clientOrderId);
    if (orderId !== undefined && this.orders.get(orderId) !== undefined)
      return this.cancel(orderId);
    return this.requests.send<boolean>('cancel', (id) =>
      this.link.send(
        MsgType.OrderCancelRequest,
        orderCancelRequest(order, id, this.settings.account),
        (seqNum) => this.ids.requestNumbered(seqNum, id),
      ),
    );
  }

  openOrders(): readonly Order[] {
    return this.orders.liveOrders().map((tracked) => tracked.order);
  }

  async reconcile(positions: ReadonlyMap<string, number>): Promise<ReconciliationResult> {
    if (this.state === 'closed') throw this.failure('reconcile() after close()');
    const acknowledged = this.orders.liveOrders().filter((tracked) => tracked.acknowledged);
    const acknowledgedBefore = new Set(acknowledged.map((tracked) => tracked.order.id));
    const atVenue = await this.venueOpenOrders();
    return reconcileWithFixVenue(
      this.orders.liveOrders(),
      positions,
      atVenue,
      (clientId) => this.ids.orderIdOf(clientId),
      acknowledgedBefore,
    );
  }

  /** Why the venue itself ended the last session (its Logout, refused numbers); else undefined. */
  get endedByVenue(): string | undefined {
    return this.link.endedByVenue;
  }

  lastMessageAt(): number | undefined {
    return this.link.lastReceivedAt;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.connectWaiter = undefined;
    this.requests.failAll('the broker was closed');
    this.orders.clear();
    this.orderFile?.close();
    await this.link.close();
  }

  // FixExecutionHost and UnansweredOrdersHost: what the reports and the reconnect need of the broker.

  orderIdOfSeqNum(seqNum: number | undefined): string | undefined {
    return this.ids.orderIdOfSeqNum(seqNum);
  }

  requestIdOfSeqNum(seqNum: number | undefined): string | undefined {
    return this.ids.requestIdOfSeqNum(seqNum);
  }

  orderIdOf(clientOrderId: string | undefined): string | undefined {
    return this.ids.orderIdOf(clientOrderId);
  }

  report(kind: VenueReport['kind'], detail: string): void {
    this.listener?.onVenueReport?.({ source: 'broker', venue: this.link.venue, kind, detail });
  }

  /** An order an earlier process sent: not working here, but its late fills are this engine's. */
  private rememberEarlier(clientOrderId: string, order: Order): void {
    if (this.orders.get(order.id) !== undefined) return;
    this.ids.sentEarlier(clientOrderId, order.id);
    this.orders.remember(order);
  }

  clientOrderIdOf(orderId: string): string {
    return this.ids.clientOrderId(orderId);
  }

  private liveIds(): string[] {
    return this.orders.liveOrders().map((tracked) => tracked.order.id);
  }

  private async cancelEach(ids: readonly string[]): Promise<number> {
    const results = await Promise.all(ids.map((id) => this.cancel(id)));
    return results.filter(Boolean).length;
  }

  private async cancelEachAtVenue(): Promise<number> {
    const open = await this.venueOpenOrders();
    const results = await Promise.all(open.map((order) => this.cancelAtVenue(order)));
    return results.filter(Boolean).length;
  }

  private loggedOn(first: boolean): void {
    const { cancelOnDisconnect } = this.settings;
    this.report('connected', first ? 'logged on' : 'logged on again; missed messages are resent');
    if (cancelOnDisconnect !== null) {
      const { tag, value } = cancelOnDisconnect;
      this.report('dead-man-armed', `cancel-on-disconnect ${tag}=${value} sent in the Logon`);
    }
    if (this.state === 'connecting') this.state = 'open';
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.('logged-on');
    if (!first) void settleUnansweredOrders(this);
  }

  /** The venue will not take this session's sequence numbers: said once, no reconnect loop. */
  private refused(problem: string): void {
    this.requests.failAll(problem);
    if (this.state !== 'closed') this.report('disconnected', problem);
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.('refused');
  }

  private loggedOut(reason: string): void {
    this.requests.failAll(`the FIX session ended: ${reason}`);
    if (this.state !== 'closed') this.report('disconnected', reason);
  }

  private failure(message: string, details?: Record<string, unknown>): LivegateError {
    return new LivegateError(
      'ERR_BROKER_FAILED',
      `${this.name}: ${message}`,
      details === undefined ? undefined : { details },
    );
  }
}

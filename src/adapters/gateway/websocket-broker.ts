// Orders through a WebSocket gateway (an MT5 bridge, an in-house gateway): docs/gateway-protocol.md.
// While the connection is down, new orders are rejected at once; unfinished ones are re-sent on
// reconnect with the same clientOrderId, which the gateway de-duplicates.

import { isRunOrderIdOf } from '../../core/run-order-ids.js';
import { LivegateError } from '../../core/errors.js';
import type {
  Broker,
  BrokerListener,
  EarlierOrderOutcome,
  EarlierOrders,
  ReconciliationResult,
  VenueReport,
} from '../../core/ports.js';
import { cancelEarlierOrders } from '../cancel-earlier-orders.js';
import type { Order } from '../../core/types.js';
import { GatewayConnection, type GatewayConnectionStats } from './gateway-connection.js';
import {
  brokerOptionsSchema,
  parseGatewayOptions,
  socketSourceOf,
  type WebSocketBrokerOptions,
  type WebSocketBrokerSettings,
} from './gateway-options.js';
import { GatewayOrderTracker, type TrackedOrder } from './gateway-order-tracker.js';
import { orderFrame, orderProblem } from './gateway-orders.js';
import type {
  GatewayOrder,
  GatewayPosition,
  InboundFrame,
  OutboundFrame,
} from './gateway-protocol.js';
import { reconcileWithGateway } from './gateway-reconciliation.js';
import { GatewayRequests, type RequestFrame } from './gateway-requests.js';
import type { GatewaySocketSource } from './gateway-socket-source.js';

export interface WebSocketBrokerStats extends GatewayConnectionStats {
  readonly openOrders: number;
  /** A fill before its ack, or an ack, reject or answer that came after its order or request was done. */
  readonly outOfOrderMessages: number;
  /** Acks, rejects, fills or cancels for ids this broker never sent (each also reported). */
  readonly unknownOrderMessages: number;
  /** Fills whose fillId was seen before (re-sent by the gateway after a reconnect). */
  readonly duplicateFills: number;
  /** Orders re-sent after a reconnect. */
  readonly resentOrders: number;
}

type FrameOf<Type extends InboundFrame['type']> = Extract<InboundFrame, { type: Type }>;

/** Error codes with which a gateway answers a cancel of an order it cannot cancel any more. */
const NOTHING_TO_CANCEL: ReadonlySet<string> = new Set(['UNKNOWN_ORDER', 'ORDER_DONE']);

export class WebSocketBroker implements Broker {
  readonly name: string;
  private readonly settings: WebSocketBrokerSettings;
  private readonly connection: GatewayConnection;
  private readonly orders = new GatewayOrderTracker();
  private readonly requests: GatewayRequests;
  private listener: BrokerListener | undefined;
  private state: 'new' | 'connecting' | 'open' | 'closed' = 'new';
  private connectWaiter: (() => void) | undefined;
  private counts = { outOfOrder: 0, unknown: 0, duplicateFills: 0, resent: 0 };
  /** Order ids (= client order ids at the gateway) of this engine id's earlier runs. */
  private readonly earlierIds = new Set<string>();

  /** `sockets`: where the gateway's connections come from when it dials in (no `url` then). */
  constructor(options: WebSocketBrokerOptions, sockets?: GatewaySocketSource) {
    this.settings = parseGatewayOptions('WebSocketBroker', brokerOptionsSchema, options);
    const source = socketSourceOf('WebSocketBroker', this.settings, sockets);
    this.connection = new GatewayConnection(this.settings, source, 'broker', {
      onConnected: () => this.connected(),
      onFrame: (frame, raw) => {
        if ('requestId' in frame) this.requests.observe(frame.requestId, raw);
        this.frameReceived(frame);
      },
      onDisconnected: () => this.requests.requeueAll(),
      report: (report) => this.report(report),
    });
    this.name = `websocket:${this.connection.venue}`;
    this.requests = new GatewayRequests(this.connection, this.settings.requestTimeoutMs, this.name);
  }

  /**
   * The earlier runs' orders: a restart cancels those the gateway still lists (its dead-man may
   * not have fired yet), and a fill of one racing that cancel is this engine's, not a stranger's.
   */
  recognise(earlier: EarlierOrders): void {
    for (const order of earlier.orders) {
      if (this.orders.known(order.id)) continue;
      this.orders.remember(order);
      this.earlierIds.add(order.id);
    }
  }

  /** See Broker.cancelEarlierOrders: a `cancel` per earlier order listed, then `open-orders` again. */
  cancelEarlierOrders(): Promise<EarlierOrderOutcome[]> {
    if (this.earlierIds.size === 0 && this.settings.engineId === undefined) {
      return Promise.resolve([]);
    }
    const listed = new Map<string, GatewayOrder>();
    return cancelEarlierOrders({
      list: async () => {
        const open = await this.venueOpenOrders();
        for (const order of open) if (order.clientOrderId) listed.set(order.clientOrderId, order);
        return open;
      },
      earlierOrder: (clientOrderId) =>
        this.earlierIds.has(clientOrderId)
          ? this.orders.finishedOrder(clientOrderId)
          : this.unjournaledEarlierOrder(listed.get(clientOrderId)),
      cancel: (order) => this.cancel(order.clientOrderId!),
    });
  }

  /**
   * An order of an earlier run the journal lost (a SIGKILL before its flush): known by its id,
   * `<engineId>-<runId>-<n>`, and remembered so a fill racing its cancel is this engine's.
   */
  private unjournaledEarlierOrder(listed: GatewayOrder | undefined): Order | undefined {
    const { engineId } = this.settings;
    const id = listed?.clientOrderId;
    if (listed === undefined || id === undefined || engineId === undefined) return undefined;
    if (!isRunOrderIdOf(engineId, id) || this.orders.get(id) !== undefined) return undefined;
    const { symbol, side, quantity, type, price } = listed;
    const order: Order = { id, symbol, side, quantity, type, price, tag: undefined, createdAt: 0 };
    this.orders.remember(order);
    this.earlierIds.add(id);
    return order;
  }

  /** Resolves after the first hello; rejects with ERR_BROKER_FAILED if none comes in time. */
  connect(listener: BrokerListener): Promise<void> {
    if (this.state !== 'new') {
      return Promise.reject(this.failure(`connect() when already ${this.state}`));
    }
    this.listener = listener;
    this.state = 'connecting';
    const timeout = this.settings.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.connectWaiter = undefined;
        const why = this.connection.disconnectedBecause;
        void this.close();
        reject(this.failure(`no connection to the gateway within ${timeout} ms (${why})`));
      }, timeout);
      this.connectWaiter = () => {
        clearTimeout(timer);
        resolve();
      };
      this.connection.start();
    });
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
    if (!this.connection.isConnected) {
      const why = this.connection.disconnectedBecause;
      return listener.onReject(order.id, `GATEWAY_DISCONNECTED: ${why}; the order was not sent`);
    }
    this.orders.track(order);
    this.connection.send(orderFrame(order));
  }

  /** True when the gateway cancelled it; false when it knew no open order of that id. */
  cancel(orderId: string): Promise<boolean> {
    if (this.state === 'closed')
      return Promise.reject(this.failure(`cancel(${orderId}) after close()`));
    return this.requests.send<boolean>((requestId) => ({
      type: 'cancel',
      requestId,
      clientOrderId: orderId,
    }));
  }

  /**
   * Every open order at the gateway, livegate's or not (scope `account`), or this broker's live
   * orders one by one (`own`); resolves to how many were cancelled.
   */
  async cancelAll(scope?: 'account' | 'own'): Promise<number> {
    if (this.state === 'closed') throw this.failure('cancelAll() after close()');
    if ((scope ?? this.settings.cancelScopeOnKill) === 'account') {
      return this.requests.send<number>((requestId) => ({ type: 'cancel-all', requestId }));
    }
    const ids = this.orders.liveOrders().map((tracked) => tracked.order.id);
    const results = await Promise.all(ids.map((id) => this.cancel(id)));
    return results.filter(Boolean).length;
  }

  /** Every order open on the gateway's account, as the gateway lists it (`open-orders`). */
  venueOpenOrders(): Promise<GatewayOrder[]> {
    if (this.state === 'closed') return Promise.reject(this.failure('open-orders after close()'));
    return this.requests.send<GatewayOrder[]>((requestId) => ({ type: 'open-orders', requestId }));
  }

  /** The account's net positions, as the gateway lists them (`positions`). */
  venuePositions(): Promise<GatewayPosition[]> {
    if (this.state === 'closed') return Promise.reject(this.failure('positions after close()'));
    return this.requests.send<GatewayPosition[]>((requestId) => ({ type: 'positions', requestId }));
  }

  /**
   * Another process's request (a `livegate kill` reaching a dial-in gateway through this engine)
   * on this broker's session, under an id of ours: `forward` sees each answer frame as received.
   * This broker handles the answers too, so cancels of its own orders end them here as well.
   */
  relay(
    build: (requestId: string) => RequestFrame,
    forward: (raw: Readonly<Record<string, unknown>>) => void,
  ): Promise<unknown> {
    if (this.state === 'closed') return Promise.reject(this.failure('relay after close()'));
    return this.requests.send<unknown>(build, forward);
  }

  /** Orders sent and not yet finished (acknowledged or still awaiting their ack). */
  openOrders(): readonly Order[] {
    return this.orders.liveOrders().map((tracked) => tracked.order);
  }

  async reconcile(positions: ReadonlyMap<string, number>): Promise<ReconciliationResult> {
    if (this.state === 'closed') throw this.failure('reconcile() after close()');
    const [gatewayOrders, gatewayPositions] = await Promise.all([
      this.venueOpenOrders(),
      this.venuePositions(),
    ]);
    return reconcileWithGateway(
      { orders: this.orders.liveOrders(), positions },
      { orders: gatewayOrders, positions: gatewayPositions },
    );
  }

  lastMessageAt(): number | undefined {
    return this.connection.lastReceivedAt;
  }

  stats(): WebSocketBrokerStats {
    const { outOfOrder, unknown, duplicateFills, resent } = this.counts;
    return {
      ...this.connection.stats(),
      openOrders: this.orders.liveOrders().length,
      outOfOrderMessages: outOfOrder,
      unknownOrderMessages: unknown,
      duplicateFills,
      resentOrders: resent,
    };
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.connectWaiter = undefined;
    this.requests.failAll('the broker was closed');
    this.orders.clear();
    await this.connection.close();
  }

  private connected(): void {
    // Unfinished orders again, same ids: the gateway places none twice, and answers each with its
    // current status (ack, fills so far, cancelled), which recovers what the lost connection dropped.
    // An order never acknowledged may never have reached the gateway: sending it again may place
    // it, so it passes gate 3 now like a new order; if it may not, its status is asked instead.
    const held: TrackedOrder[] = [];
    for (const tracked of this.orders.liveOrders()) {
      if (!tracked.acknowledged && this.listener?.mayResend?.(tracked.order) === false) {
        held.push(tracked);
        continue;
      }
      if (this.connection.send(orderFrame(tracked.order))) this.counts.resent += 1;
    }
    if (held.length > 0) void this.settleHeld(held);
    if (this.state === 'connecting') this.state = 'open';
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.();
  }

  /**
   * Orders held back by gate 3 after a reconnect: the ones the gateway lists as open are known to
   * it, so sending them again is only a status query; the others never reached it or are done,
   * and are ended here (said in a reconciliation report: a fill, if any, shows in positions).
   */
  private async settleHeld(held: readonly TrackedOrder[]): Promise<void> {
    let listed: readonly GatewayOrder[];
    try {
      listed = await this.requests.send<GatewayOrder[]>((requestId) => ({
        type: 'open-orders',
        requestId,
      }));
    } catch {
      // No answer: they stay working (counted at their worst) and are asked about again next time.
      return;
    }
    const open = new Set(listed.map((order) => order.clientOrderId));
    for (const tracked of held) {
      const id = tracked.order.id;
      if (this.orders.get(id) === undefined || tracked.acknowledged) continue;
      if (open.has(id)) {
        if (this.connection.send(orderFrame(tracked.order))) this.counts.resent += 1;
        continue;
      }
      this.orders.finish(id);
      this.listener?.onOrderDone(id, 'expired');
      this.report(
        this.venueReport(
          'reconciliation-mismatch',
          `order ${id} was not acknowledged before the connection was lost, may not be sent again now (kill switch) and is not open at the gateway: ended as not placed; a fill, if it was placed, shows in positions`,
        ),
      );
    }
  }

  private frameReceived(frame: InboundFrame): void {
    switch (frame.type) {
      case 'ack':
        return this.acknowledged(frame);
      case 'reject':
        return this.rejected(frame);
      case 'fill':
        return this.filled(frame);
      case 'cancelled':
        return this.cancelled(frame);
      case 'orders':
        return this.ordersListed(frame);
      case 'positions':
        return this.answered(frame.requestId, 'positions', frame.positions);
      case 'error':
        return this.gatewayError(frame);
      case 'tick':
      case 'hello':
      case 'heartbeat':
        // A broker connection subscribes to nothing; stray ticks are harmless.
        return;
    }
  }

  private acknowledged(frame: FrameOf<'ack'>): void {
    const tracked = this.orders.get(frame.clientOrderId);
    if (tracked === undefined) return this.lateOrUnknown('ack', frame.clientOrderId);
    tracked.acknowledged = true;
    tracked.venueOrderId = frame.venueOrderId;
  }

  private rejected(frame: FrameOf<'reject'>): void {
    const tracked = this.orders.get(frame.clientOrderId);
    if (tracked === undefined) return this.lateOrUnknown('reject', frame.clientOrderId);
    this.orders.finish(frame.clientOrderId);
    this.listener?.onReject(frame.clientOrderId, `${frame.code}: ${frame.reason}`);
  }

  private filled(frame: FrameOf<'fill'>): void {
    if (!this.orders.firstFill(frame.fillId)) {
      this.counts.duplicateFills += 1;
      return;
    }
    const { clientOrderId } = frame;
    const tracked = this.orders.get(clientOrderId);
    // A fill after the order was finished (cancelled as it traded) is still a real trade.
    const order = tracked?.order ?? this.orders.finishedOrder(clientOrderId);
    if (order === undefined) return this.unknownOrder('fill', clientOrderId);
    if (frame.symbol !== order.symbol || frame.side !== order.side) {
      const fill = `${frame.side} ${frame.symbol}`;
      const detail = `fill ${frame.fillId} (${fill}) does not match order ${order.id} (${order.side} ${order.symbol})`;
      return this.report(this.venueReport('reconciliation-mismatch', detail));
    }
    if (tracked === undefined || !tracked.acknowledged) this.counts.outOfOrder += 1;
    if (tracked !== undefined) {
      tracked.acknowledged = true;
      if (this.orders.addFill(tracked, frame.quantity)) this.orders.finish(clientOrderId);
    }
    const { symbol, side, quantity, price, time, fee, feeCurrency } = frame;
    this.listener?.onFill({
      orderId: clientOrderId,
      symbol,
      side,
      quantity,
      price,
      time,
      ...(fee === undefined ? {} : { fee }),
      ...(feeCurrency === undefined ? {} : { feeCurrency }),
    });
  }

  private cancelled(frame: FrameOf<'cancelled'>): void {
    const { clientOrderId, requestId } = frame;
    const request = this.requests.get(requestId);
    if (request?.frame.type === 'cancel-all') request.cancelled += 1;
    // Orders placed outside livegate have no id of ours: only cancel-all counts them.
    if (clientOrderId === undefined) return;
    const known = this.orders.get(clientOrderId) !== undefined;
    this.orders.finish(clientOrderId);
    const cancelAll = request?.frame.type === 'cancel-all';
    const cancelRequest = request?.frame.type === 'cancel' ? requestId : undefined;
    const waiting = cancelAll
      ? undefined
      : (cancelRequest ?? this.requests.cancelFor(clientOrderId));
    // The gateway sends an order's fills before its `cancelled`: what remained will never fill.
    // Reported before the cancel resolves, so the caller's next order sees it gone.
    if (known) {
      const asked = cancelAll || waiting !== undefined;
      this.listener?.onOrderDone(clientOrderId, asked ? 'cancelled' : 'expired');
    }
    if (cancelAll) return;
    if (waiting !== undefined) return this.requests.answer(waiting, true);
    if (!known) this.lateOrUnknown('cancelled', clientOrderId);
  }

  private ordersListed(frame: FrameOf<'orders'>): void {
    const request = this.requests.get(frame.requestId);
    // cancel-all ends with the orders still open (normally none); the count is the cancelled frames.
    if (request?.frame.type === 'cancel-all') {
      return this.requests.answer(frame.requestId, request.cancelled);
    }
    this.answered(frame.requestId, 'open-orders', frame.orders);
  }

  private answered(requestId: string, type: OutboundFrame['type'], value: unknown): void {
    const request = this.requests.get(requestId);
    if (request === undefined) {
      // The request timed out already, or was never made: a late answer changes nothing.
      this.counts.outOfOrder += 1;
      return;
    }
    if (request.frame.type !== type) {
      const detail = `answer to ${type} for request ${requestId}, which was ${request.frame.type}`;
      return this.connection.reportMalformed(detail);
    }
    this.requests.answer(requestId, value);
  }

  private gatewayError(frame: FrameOf<'error'>): void {
    const what = `gateway error ${frame.code}: ${frame.reason}`;
    if (frame.requestId === undefined) return this.connection.reportMalformed(what);
    const request = this.requests.get(frame.requestId);
    if (request === undefined) {
      this.counts.outOfOrder += 1; // the answer to a request that timed out already
      return;
    }
    if (request.frame.type === 'cancel' && NOTHING_TO_CANCEL.has(frame.code)) {
      return this.requests.answer(frame.requestId, false);
    }
    this.requests.fail(frame.requestId, `${request.frame.type} refused: ${what}`);
  }

  /** A frame about an order that finished already is merely late; about one never sent, a mismatch. */
  private lateOrUnknown(what: string, clientOrderId: string): void {
    if (this.orders.finishedOrder(clientOrderId) !== undefined) {
      this.counts.outOfOrder += 1;
      return;
    }
    this.unknownOrder(what, clientOrderId);
  }

  private unknownOrder(what: string, clientOrderId: string): void {
    this.counts.unknown += 1;
    const detail = `${what} for order ${clientOrderId}, which livegate did not send`;
    this.report(this.venueReport('reconciliation-mismatch', detail));
  }

  private venueReport(kind: VenueReport['kind'], detail: string): VenueReport {
    return { source: 'broker', venue: this.connection.venue, kind, detail };
  }

  private report(report: VenueReport): void {
    this.listener?.onVenueReport?.(report);
  }

  private failure(message: string, details?: Record<string, unknown>): LivegateError {
    return new LivegateError(
      'ERR_BROKER_FAILED',
      `${this.name}: ${message}`,
      details === undefined ? undefined : { details },
    );
  }
}

// A scriptable local gateway speaking docs/gateway-protocol.md, on the ws package's WebSocketServer
// (port 0). It records what livegate sends and checks livegate's own sequence numbers; a simulated
// venue per URL path plays the broker side (fills at a quote, resting limits, cancels, de-duplication).

import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface ReceivedFrame {
  readonly type: string;
  readonly seq: number;
  readonly [field: string]: unknown;
}

export type FrameBody = { readonly type: string } & Record<string, unknown>;

/** One connection from livegate. */
export class GatewayPeer {
  readonly received: ReceivedFrame[] = [];
  /** What livegate got wrong: unparseable frames, sequence numbers that are not 1, 2, 3... */
  readonly violations: string[] = [];
  closed = false;
  /** The close code livegate (or the network) ended this connection with. */
  closeCode: number | undefined;
  private nextSeq = 1;

  constructor(
    readonly socket: WebSocket,
    /** The request path with its query, e.g. `/venue-3?count=10`. */
    readonly path: string,
  ) {}

  get pathname(): string {
    return new URL(this.path, 'ws://gateway').pathname;
  }

  /** Sends a frame with the next sequence number, or with `seq` (later frames continue from it). */
  send(body: FrameBody, seq?: number): void {
    const number = seq ?? this.nextSeq;
    this.nextSeq = Math.max(this.nextSeq, number + 1);
    this.sendRaw(JSON.stringify({ ...body, seq: number }));
  }

  /** Sends text as is; `consumesSeq` when it stands for a frame that had a number (garbled on the way). */
  sendRaw(text: string | Buffer, options: { consumesSeq?: boolean; binary?: boolean } = {}): void {
    if (options.consumesSeq === true) this.nextSeq += 1;
    if (!this.closed) this.socket.send(text, { binary: options.binary === true });
  }

  framesOf(type: string): ReceivedFrame[] {
    return this.received.filter((frame) => frame.type === type);
  }

  recordIncoming(text: string): ReceivedFrame | undefined {
    let frame: ReceivedFrame;
    try {
      frame = JSON.parse(text) as ReceivedFrame;
    } catch {
      this.violations.push(`not JSON: ${text}`);
      return undefined;
    }
    const expected = this.received.length + 1;
    if (frame.seq !== expected) this.violations.push(`expected seq ${expected}, got ${frame.seq}`);
    this.received.push(frame);
    return frame;
  }
}

export interface GatewayScript {
  /** Sends hello first (default true); a function sends its own greeting. */
  hello?: boolean | ((peer: GatewayPeer) => void);
  /** Answers every livegate heartbeat with one (default true). */
  answerHeartbeats?: boolean;
  /** Every frame from livegate, after it is recorded (and after the simulated venue saw it). */
  onFrame?: (peer: GatewayPeer, frame: ReceivedFrame) => void;
  /** Route order traffic to the simulated venue of the peer's path (default true). */
  venues?: boolean;
}

export class ScriptableGateway {
  readonly peers: GatewayPeer[] = [];
  /** When true, new connections are dropped at once (the gateway process is "down"). */
  refuseConnections = false;
  refusedConnections = 0;
  private readonly venues = new Map<string, SimulatedVenue>();

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
    public script: GatewayScript,
  ) {
    server.on('connection', (socket, request) => this.accept(socket, request.url ?? '/'));
  }

  static async start(script: GatewayScript = {}): Promise<ScriptableGateway> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const { port } = server.address() as AddressInfo;
    return new ScriptableGateway(server, `ws://127.0.0.1:${port}`, script);
  }

  get openPeers(): GatewayPeer[] {
    return this.peers.filter((peer) => !peer.closed);
  }

  /** The simulated venue (one account) behind a URL path. */
  venue(pathname: string): SimulatedVenue {
    let venue = this.venues.get(pathname);
    if (venue === undefined) this.venues.set(pathname, (venue = new SimulatedVenue()));
    return venue;
  }

  /** Cuts every open connection without a close handshake (a crashed gateway, a pulled cable). */
  dropAll(): void {
    for (const peer of this.openPeers) peer.socket.terminate();
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: WebSocket, path: string): void {
    if (this.refuseConnections) {
      this.refusedConnections += 1;
      socket.terminate();
      return;
    }
    const peer = new GatewayPeer(socket, path);
    this.peers.push(peer);
    socket.on('close', (code) => {
      peer.closed = true;
      peer.closeCode = code;
    });
    socket.on('error', () => undefined);
    socket.on('message', (data: Buffer) => this.received(peer, data.toString('utf8')));
    const { hello = true } = this.script;
    if (typeof hello === 'function') hello(peer);
    else if (hello) peer.send({ type: 'hello', protocol: 1, gateway: 'test-gateway' });
  }

  private received(peer: GatewayPeer, text: string): void {
    const frame = peer.recordIncoming(text);
    if (frame === undefined) return;
    if (frame.type === 'heartbeat' && this.script.answerHeartbeats !== false) {
      peer.send({ type: 'heartbeat', time: Date.now() });
    }
    if (this.script.venues !== false) this.venue(peer.pathname).handle(peer, frame);
    this.script.onFrame?.(peer, frame);
  }
}

interface VenueOrder {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly quantity: number;
  readonly orderType: 'market' | 'limit';
  readonly price: number | undefined;
  status: 'open' | 'filled' | 'cancelled' | 'rejected';
  readonly fills: FrameBody[];
  /** Order events go to the connection that last sent the order (none for foreign orders). */
  owner: GatewayPeer | undefined;
}

/** One account at a pretend venue: market orders fill at the quote, far limits rest. */
export class SimulatedVenue {
  bid = 1.1;
  ask = 1.1002;
  /** Orders actually placed (a re-sent order that is recognised is not placed again). */
  placements = 0;
  /** Take orders but say nothing back (a slow or stuck venue). */
  holdAnswers = false;
  /** Send a market order's fill before its ack. */
  fillBeforeAck = false;
  /** Let cancel requests go unanswered. */
  ignoreCancels = false;
  /** Order frames vanish on the way in (lost with a dying connection): nothing placed, no answer. */
  loseOrders = false;
  readonly orders = new Map<string, VenueOrder>();
  readonly positions = new Map<string, number>();
  private nextVenueId = 1000;
  private nextFillId = 1;

  get openOrders(): VenueOrder[] {
    return [...this.orders.values()].filter((order) => order.status === 'open');
  }

  /** An order placed some other way (by hand in the terminal): open, without our id. */
  placeForeignOrder(order: { clientOrderId?: string; symbol: string; quantity: number }): void {
    const venueOrderId = String(this.nextVenueId++);
    this.orders.set(order.clientOrderId ?? `foreign-${venueOrderId}`, {
      clientOrderId: order.clientOrderId ?? '',
      venueOrderId,
      symbol: order.symbol,
      side: 'buy',
      quantity: order.quantity,
      orderType: 'limit',
      price: 0.5,
      status: 'open',
      fills: [],
      owner: undefined,
    });
  }

  /** Fills an open order now (all that remains, or `quantity` of it), telling its owner. */
  fill(clientOrderId: string, price = this.ask, quantity?: number): void {
    const order = this.orders.get(clientOrderId);
    if (order?.status !== 'open') throw new Error(`no open order ${clientOrderId}`);
    this.execute(order, price, quantity);
  }

  /** The venue ends an open order on its own (time in force): `cancelled` with no requestId. */
  expire(clientOrderId: string): void {
    const order = this.orders.get(clientOrderId);
    if (order?.status !== 'open') throw new Error(`no open order ${clientOrderId}`);
    order.status = 'cancelled';
    if (order.owner?.closed === false) order.owner.send({ type: 'cancelled', clientOrderId });
  }

  handle(peer: GatewayPeer, frame: ReceivedFrame): void {
    switch (frame.type) {
      case 'order':
        return this.order(peer, frame);
      case 'cancel':
        return this.cancel(peer, frame);
      case 'cancel-all': {
        for (const order of this.openOrders) {
          order.status = 'cancelled';
          const id =
            order.clientOrderId === ''
              ? { venueOrderId: order.venueOrderId }
              : { clientOrderId: order.clientOrderId };
          peer.send({ type: 'cancelled', ...id, requestId: frame.requestId });
        }
        return peer.send({ type: 'orders', requestId: frame.requestId, orders: [] });
      }
      case 'open-orders':
        return peer.send({
          type: 'orders',
          requestId: frame.requestId,
          orders: this.openOrders.map(
            ({ clientOrderId, venueOrderId, symbol, side, quantity, orderType, price }) => ({
              ...(clientOrderId === '' ? {} : { clientOrderId }),
              venueOrderId,
              symbol,
              side,
              quantity,
              orderType,
              price,
            }),
          ),
        });
      case 'positions':
        return peer.send({
          type: 'positions',
          requestId: frame.requestId,
          positions: [...this.positions].map(([symbol, quantity]) => ({ symbol, quantity })),
        });
    }
  }

  private order(peer: GatewayPeer, frame: ReceivedFrame): void {
    if (this.loseOrders) return;
    const clientOrderId = frame.clientOrderId as string;
    const known = this.orders.get(clientOrderId);
    if (known !== undefined) return this.replayStatus(peer, known);
    const quantity = frame.quantity as number;
    const order: VenueOrder = {
      clientOrderId,
      venueOrderId: String(this.nextVenueId++),
      symbol: frame.symbol as string,
      side: frame.side as 'buy' | 'sell',
      quantity,
      orderType: frame.orderType as 'market' | 'limit',
      price: frame.price as number | undefined,
      status: 'open',
      fills: [],
      owner: peer,
    };
    this.orders.set(clientOrderId, order);
    this.placements += 1;
    if (this.holdAnswers) return;
    if (!(quantity > 0)) {
      order.status = 'rejected';
      return peer.send({
        type: 'reject',
        clientOrderId,
        code: 'INVALID_QUANTITY',
        reason: 'quantity must be above zero',
      });
    }
    const touch = order.side === 'buy' ? this.ask : this.bid;
    const marketable =
      order.orderType === 'market' ||
      (order.side === 'buy' ? touch <= (order.price ?? 0) : touch >= (order.price ?? Infinity));
    if (marketable && this.fillBeforeAck) {
      this.execute(order, touch);
      return this.ack(order);
    }
    this.ack(order);
    if (marketable) this.execute(order, touch);
  }

  /** A re-sent order the venue knows: its status again, placing nothing. */
  private replayStatus(peer: GatewayPeer, order: VenueOrder): void {
    order.owner = peer;
    if (order.status === 'rejected') {
      return peer.send({
        type: 'reject',
        clientOrderId: order.clientOrderId,
        code: 'REJECTED',
        reason: 'rejected before',
      });
    }
    this.ack(order);
    for (const fill of order.fills) peer.send(fill);
    if (order.status === 'cancelled')
      peer.send({ type: 'cancelled', clientOrderId: order.clientOrderId });
  }

  private cancel(peer: GatewayPeer, frame: ReceivedFrame): void {
    if (this.ignoreCancels) return;
    const order = this.orders.get(frame.clientOrderId as string);
    if (order?.status !== 'open') {
      const code = order === undefined ? 'UNKNOWN_ORDER' : 'ORDER_DONE';
      return peer.send({
        type: 'error',
        requestId: frame.requestId,
        code,
        reason: 'nothing to cancel',
      });
    }
    order.status = 'cancelled';
    peer.send({
      type: 'cancelled',
      clientOrderId: order.clientOrderId,
      requestId: frame.requestId,
    });
  }

  private ack(order: VenueOrder): void {
    order.owner?.send({
      type: 'ack',
      clientOrderId: order.clientOrderId,
      venueOrderId: order.venueOrderId,
    });
  }

  private execute(order: VenueOrder, price: number, part?: number): void {
    const filledBefore = order.fills.reduce((sum, fill) => sum + (fill.quantity as number), 0);
    const quantity = part ?? order.quantity - filledBefore;
    if (filledBefore + quantity >= order.quantity) order.status = 'filled';
    const signed = order.side === 'buy' ? quantity : -quantity;
    this.positions.set(order.symbol, (this.positions.get(order.symbol) ?? 0) + signed);
    const fill: FrameBody = {
      type: 'fill',
      clientOrderId: order.clientOrderId,
      fillId: `F${this.nextFillId++}`,
      symbol: order.symbol,
      side: order.side,
      quantity,
      price,
      time: Date.now(),
    };
    order.fills.push(fill);
    if (order.owner?.closed === false) order.owner.send(fill);
  }
}

/** Polls until `condition` holds; fails naming `what` when the deadline passes. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A tick frame body; times rise with `index` so a stream never goes backwards. */
export function tickFrame(
  index: number,
  symbol = 'EURUSD',
): { type: 'tick'; symbol: string; bid: number; ask: number; time: number } {
  const bid = Math.round((1.1 + (index % 100) / 100_000) * 100_000) / 100_000;
  return { type: 'tick', symbol, bid, ask: bid + 0.0002, time: 1_709_542_800_000 + index };
}

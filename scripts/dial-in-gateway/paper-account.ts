// The reference gateway's pretend venue: one account whose market orders fill later and in two
// parts, whose limit orders rest unless marketable, and which never places one clientOrderId twice
// (a re-sent order is a status query, answered with its ack, fills so far and end).

export type Frame = { readonly type: string } & Record<string, unknown>;

/** Where an order's events go: the broker session that last sent it (absent when it is down). */
export interface OrderOwner {
  send(frame: Frame): void;
  readonly open: boolean;
}

export interface AccountOrder {
  readonly clientOrderId: string | undefined;
  readonly venueOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly quantity: number;
  readonly orderType: 'market' | 'limit';
  readonly price: number | undefined;
  status: 'open' | 'filled' | 'cancelled';
  filled: number;
  readonly fills: Frame[];
  owner: OrderOwner | undefined;
}

export class PaperAccount {
  bid = 1.1;
  ask = 1.1002;
  /** Orders actually placed; a recognised re-send places nothing. */
  placements = 0;
  /** Order frames for an id already known (re-sends after a reconnect). */
  statusQueries = 0;
  readonly orders = new Map<string, AccountOrder>();
  readonly positions = new Map<string, number>();
  private nextVenueId = 5000;
  private nextFillId = 1;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly fillDelayMs: number,
    /** 2: a market order fills in two parts; 1: in one. */
    private readonly fillParts: 1 | 2 = 2,
  ) {}

  get openOrders(): AccountOrder[] {
    return [...this.orders.values()].filter((order) => order.status === 'open');
  }

  /** An order placed by hand in the terminal: no clientOrderId, never livegate's. */
  placeManualOrder(symbol: string, quantity: number, price: number): AccountOrder {
    const order = this.newOrder(undefined, symbol, 'buy', quantity, 'limit', price, undefined);
    this.orders.set(`manual-${order.venueOrderId}`, order);
    return order;
  }

  handle(owner: OrderOwner, frame: Frame): void {
    switch (frame.type) {
      case 'order':
        return this.order(owner, frame);
      case 'cancel':
        return this.cancel(owner, frame);
      case 'cancel-all':
        return this.cancelAll(owner, frame.requestId);
      case 'open-orders':
        return owner.send({ type: 'orders', requestId: frame.requestId, orders: this.listOpen() });
      case 'positions':
        return owner.send({
          type: 'positions',
          requestId: frame.requestId,
          positions: [...this.positions].map(([symbol, quantity]) => ({ symbol, quantity })),
        });
    }
  }

  /** The dead-man switch: cancels livegate's open orders (those with a clientOrderId). */
  cancelLivegateOrders(): number {
    let cancelled = 0;
    for (const order of this.openOrders) {
      if (order.clientOrderId === undefined) continue;
      order.status = 'cancelled';
      cancelled += 1;
      this.tell(order, { type: 'cancelled', clientOrderId: order.clientOrderId });
    }
    return cancelled;
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private order(owner: OrderOwner, frame: Frame): void {
    const clientOrderId = String(frame.clientOrderId);
    const known = this.orders.get(clientOrderId);
    if (known !== undefined) {
      this.statusQueries += 1;
      return this.replay(owner, known);
    }
    const side = frame.side === 'sell' ? 'sell' : 'buy';
    const orderType = frame.orderType === 'limit' ? 'limit' : 'market';
    const price = typeof frame.price === 'number' ? frame.price : undefined;
    const quantity = Number(frame.quantity);
    const order = this.newOrder(
      clientOrderId,
      String(frame.symbol),
      side,
      quantity,
      orderType,
      price,
      owner,
    );
    this.orders.set(clientOrderId, order);
    this.placements += 1;
    owner.send({ type: 'ack', clientOrderId, venueOrderId: order.venueOrderId });
    const touch = side === 'buy' ? this.ask : this.bid;
    const marketable =
      orderType === 'market' ||
      (side === 'buy' ? touch <= (price ?? 0) : touch >= (price ?? Infinity));
    if (!marketable) return;
    // Later, and in parts, as a real venue does: never inside the order's own round trip.
    const first = this.fillParts === 1 ? quantity : Math.round((quantity / 2) * 1e8) / 1e8;
    this.later(this.fillDelayMs, () => this.execute(order, first));
    this.later(2 * this.fillDelayMs, () => this.execute(order, quantity - first));
  }

  private replay(owner: OrderOwner, order: AccountOrder): void {
    order.owner = owner;
    const clientOrderId = order.clientOrderId;
    owner.send({ type: 'ack', clientOrderId, venueOrderId: order.venueOrderId });
    for (const fill of order.fills) owner.send(fill);
    if (order.status === 'cancelled') owner.send({ type: 'cancelled', clientOrderId });
  }

  private cancel(owner: OrderOwner, frame: Frame): void {
    const order = this.orders.get(String(frame.clientOrderId));
    if (order?.status !== 'open') {
      const code = order === undefined ? 'UNKNOWN_ORDER' : 'ORDER_DONE';
      return owner.send({ type: 'error', requestId: frame.requestId, code, reason: code });
    }
    order.status = 'cancelled';
    owner.send({
      type: 'cancelled',
      clientOrderId: order.clientOrderId,
      requestId: frame.requestId,
    });
  }

  private cancelAll(owner: OrderOwner, requestId: unknown): void {
    for (const order of this.openOrders) {
      order.status = 'cancelled';
      const id =
        order.clientOrderId === undefined
          ? { venueOrderId: order.venueOrderId }
          : { clientOrderId: order.clientOrderId };
      owner.send({ type: 'cancelled', ...id, requestId });
    }
    owner.send({ type: 'orders', requestId, orders: this.listOpen() });
  }

  private listOpen(): Record<string, unknown>[] {
    return this.openOrders.map((order) => ({
      ...(order.clientOrderId === undefined ? {} : { clientOrderId: order.clientOrderId }),
      venueOrderId: order.venueOrderId,
      symbol: order.symbol,
      side: order.side,
      quantity: order.quantity,
      orderType: order.orderType,
      ...(order.price === undefined ? {} : { price: order.price }),
    }));
  }

  private execute(order: AccountOrder, quantity: number): void {
    if (order.status !== 'open' || !(quantity > 0)) return;
    order.filled += quantity;
    if (order.filled >= order.quantity - 1e-12) order.status = 'filled';
    const signed = order.side === 'buy' ? quantity : -quantity;
    this.positions.set(order.symbol, (this.positions.get(order.symbol) ?? 0) + signed);
    const fill: Frame = {
      type: 'fill',
      clientOrderId: order.clientOrderId,
      fillId: `${order.venueOrderId}-${this.nextFillId++}`,
      symbol: order.symbol,
      side: order.side,
      quantity,
      price: order.side === 'buy' ? this.ask : this.bid,
      time: Date.now(),
    };
    order.fills.push(fill);
    // A fill while its session is down is kept: the re-sent order gets it (exactly once, by fillId).
    this.tell(order, fill);
  }

  private tell(order: AccountOrder, frame: Frame): void {
    if (order.owner?.open === true) order.owner.send(frame);
  }

  private newOrder(
    clientOrderId: string | undefined,
    symbol: string,
    side: 'buy' | 'sell',
    quantity: number,
    orderType: 'market' | 'limit',
    price: number | undefined,
    owner: OrderOwner | undefined,
  ): AccountOrder {
    const venueOrderId = String(this.nextVenueId++);
    const status = 'open';
    return {
      clientOrderId,
      venueOrderId,
      symbol,
      side,
      quantity,
      orderType,
      price,
      status,
      filled: 0,
      fills: [],
      owner,
    };
  }

  private later(delay: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delay);
    this.timers.add(timer);
  }
}

// The test venue's order book and quotes: NewOrderSingle, OrderCancelRequest, OrderMassCancelRequest
// and OrderMassStatusRequest answered the way a FIX 4.4 venue answers them, per account.

type Send = (client: string, msgType: string, body: Record<string, unknown>) => void;

export interface VenueOrder {
  /** The session that placed it: its reports go there. */
  readonly client: string;
  readonly account: string;
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly symbol: string;
  /** FIX Side: 1 buy, 2 sell. */
  readonly side: string;
  readonly quantity: number;
  readonly price: number | undefined;
  filled: number;
  open: boolean;
}

export class FixVenueBook {
  readonly quotes = new Map<string, { bid: number; ask: number }>();
  /** Orders for these symbols are rejected (35=8, 150=8). */
  readonly rejectSymbols = new Set<string>();
  /** Orders for these symbols get a session-level Reject (35=3, RefSeqNum = the order's). */
  readonly sessionRejectSymbols = new Set<string>();
  /** Orders for these symbols get a BusinessMessageReject (35=j, BusinessRejectRefID = ClOrdID). */
  readonly businessRejectSymbols = new Set<string>();
  /** ClOrdIDs a mass cancel leaves open (it still reports success for the others). */
  readonly massCancelKeeps = new Set<string>();
  /** ClOrdIDs whose cancel is refused (35=9, CxlRejReason 2). */
  readonly refuseCancelOf = new Set<string>();
  /** Answer mass cancels with 531=0 (refused). */
  refuseMassCancel = false;
  /**
   * How a refused mass cancel or cancel is answered: its own report (35=r 531=0, 35=9), a
   * BusinessMessageReject (35=j, BusinessRejectRefID = its ClOrdID) or a session Reject (35=3).
   */
  refuseWith: 'report' | 'business-reject' | 'session-reject' = 'report';
  /** false: market orders rest as if the book were empty, until trade() fills them. */
  fillMarketOrders = true;
  private readonly orders: VenueOrder[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextId = 0;

  constructor(
    private readonly send: Send,
    private readonly fillDelayMs: number,
    private readonly fillParts: number,
  ) {}

  /** A message from session `client`, trading for `account` (several sessions may share one). */
  handle(client: string, account: string, msgType: string, message: Record<string, unknown>): void {
    if (msgType === 'D') return this.newOrder(client, account, message);
    if (msgType === 'F') return this.cancelOrder(client, account, message);
    if (msgType === 'q') return this.massCancel(client, account, message);
    if (msgType === 'AF') return this.massStatus(client, account, message);
  }

  openOrders(account?: string): VenueOrder[] {
    return this.orders.filter(
      (order) => order.open && (account === undefined || order.account === account),
    );
  }

  /** Orders filled completely (by market or trade), whichever session placed them. */
  filledOrders(account?: string): VenueOrder[] {
    return this.orders.filter(
      (order) =>
        !order.open &&
        order.quantity - order.filled < 1e-9 &&
        (account === undefined || order.account === account),
    );
  }

  /** The market trades at `price`: resting orders it crosses fill now (all of them, or `quantity`). */
  trade(symbol: string, price: number, quantity?: number): void {
    for (const order of this.openOrders()) {
      if (order.symbol !== symbol) continue;
      const crosses =
        order.price === undefined ||
        (order.side === '1' ? price <= order.price : price >= order.price);
      if (crosses)
        this.fill(order, Math.min(quantity ?? Infinity, order.quantity - order.filled), price);
    }
  }

  /** Cancel-on-disconnect: every open order the session placed ends (kept for its resend). */
  cancelSession(client: string): void {
    for (const order of this.openOrders()) {
      if (order.client === client) this.cancelled(order, order.clientOrderId);
    }
  }

  quoteOf(symbol: string): { bid: number; ask: number } {
    return this.quotes.get(symbol) ?? { bid: 1.1, ask: 1.1002 };
  }

  symbolsOf(request: Record<string, unknown>): string[] {
    const group = request['InstrmtMDReqGrp'] as {
      NoRelatedSym?: { Instrument?: { Symbol?: string } }[];
    };
    return (group.NoRelatedSym ?? []).flatMap((entry) => entry.Instrument?.Symbol ?? []);
  }

  snapshot(requestId: string, symbol: string): Record<string, unknown> {
    const { bid, ask } = this.quoteOf(symbol);
    return {
      MDReqID: requestId,
      Instrument: { Symbol: symbol },
      MDFullGrp: {
        NoMDEntries: [
          { MDEntryType: '0', MDEntryPx: bid, MDEntrySize: 1_000_000 },
          { MDEntryType: '1', MDEntryPx: ask, MDEntrySize: 1_000_000 },
        ],
      },
    };
  }

  /** One incremental update of a side, the price stepping around the quote. */
  update(requestId: string, symbol: string, index: number): Record<string, unknown> {
    const { bid, ask } = this.quoteOf(symbol);
    const step = ((index % 7) - 3) * 0.00001;
    const isBid = index % 2 === 0;
    return {
      MDReqID: requestId,
      MDIncGrp: {
        NoMDEntries: [
          {
            MDUpdateAction: '1',
            MDEntryType: isBid ? '0' : '1',
            Instrument: { Symbol: symbol },
            MDEntryPx: Math.round(((isBid ? bid : ask) + step) * 1e6) / 1e6,
            MDEntrySize: 1_000_000,
          },
        ],
      },
    };
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private newOrder(client: string, account: string, message: Record<string, unknown>): void {
    const instrument = message['Instrument'] as { Symbol?: string } | undefined;
    const quantity = (message['OrderQtyData'] as { OrderQty?: number } | undefined)?.OrderQty ?? 0;
    const order: VenueOrder = {
      client,
      account,
      clientOrderId: String(message['ClOrdID']),
      venueOrderId: `V${++this.nextId}`,
      symbol: instrument?.Symbol ?? '',
      side: String(message['Side']),
      quantity,
      price: message['OrdType'] === '2' ? Number(message['Price']) : undefined,
      filled: 0,
      open: true,
    };
    if (this.sessionRejectSymbols.has(order.symbol)) {
      const header = message['StandardHeader'] as { MsgSeqNum?: number } | undefined;
      return this.send(client, '3', {
        RefSeqNum: header?.MsgSeqNum ?? 0,
        RefTagID: 55,
        RefMsgType: 'D',
        SessionRejectReason: 5,
        Text: `value is incorrect (out of range) for tag 55: ${order.symbol}`,
      });
    }
    if (this.businessRejectSymbols.has(order.symbol)) {
      return this.send(client, 'j', {
        RefMsgType: 'D',
        BusinessRejectRefID: order.clientOrderId,
        BusinessRejectReason: 2,
        Text: `${order.symbol}: unknown security`,
      });
    }
    const duplicate = this.orders.some(
      (known) => known.account === account && known.clientOrderId === order.clientOrderId,
    );
    if (duplicate || this.rejectSymbols.has(order.symbol) || !(quantity > 0)) {
      order.open = false;
      const why = duplicate ? 'duplicate ClOrdID' : `${order.symbol} is not traded here`;
      return this.send(client, '8', this.report(order, '8', '8', { Text: why, OrdRejReason: 0 }));
    }
    this.orders.push(order);
    this.send(client, '8', this.report(order, '0', '0'));
    const { bid, ask } = this.quoteOf(order.symbol);
    const takes = order.side === '1' ? ask : bid;
    const marketable =
      order.price === undefined
        ? this.fillMarketOrders
        : order.side === '1'
          ? order.price >= ask
          : order.price <= bid;
    if (marketable) this.fillInParts(order, takes);
  }

  /** The account's filled position in `symbol` (buys less sells), whichever session traded it. */
  netFilled(account: string, symbol: string): number {
    let net = 0;
    for (const order of this.orders) {
      if (order.account !== account || order.symbol !== symbol) continue;
      net += order.side === '1' ? order.filled : -order.filled;
    }
    return net;
  }

  /** Fill parts scheduled and not sent yet (orders filled before the book stopped filling). */
  fillsInFlight(): number {
    return this.timers.size;
  }

  /**
   * Fills arrive after submit, part by part, each a separate report; each part schedules the
   * next, so a blocked event loop (timers of several orders expiring together) keeps them in order.
   */
  private fillInParts(order: VenueOrder, price: number, index = 1): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!order.open) return;
      const part = order.quantity / this.fillParts;
      const quantity = index === this.fillParts ? order.quantity - order.filled : part;
      this.fill(order, quantity, price);
      if (index < this.fillParts) this.fillInParts(order, price, index + 1);
    }, this.fillDelayMs);
    this.timers.add(timer);
  }

  private fill(order: VenueOrder, quantity: number, price: number): void {
    if (quantity <= 0 || !order.open) return;
    order.filled += quantity;
    const done = order.quantity - order.filled < 1e-9;
    if (done) order.open = false;
    this.send(
      order.client,
      '8',
      this.report(order, 'F', done ? '2' : '1', { LastQty: quantity, LastPx: price }),
    );
  }

  private cancelOrder(client: string, account: string, message: Record<string, unknown>): void {
    const original = String(message['OrigClOrdID']);
    const order = this.orders.find((o) => o.account === account && o.clientOrderId === original);
    const requestId = String(message['ClOrdID']);
    if (order !== undefined && order.open && this.refuseCancelOf.has(original)) {
      if (this.refuseWith !== 'report') return this.rejectRequest(client, 'F', message);
      return this.send(client, '9', {
        OrderID: order.venueOrderId,
        ClOrdID: requestId,
        OrigClOrdID: original,
        OrdStatus: '0',
        CxlRejResponseTo: '1',
        CxlRejReason: 2,
        Text: 'order is locked by the venue',
      });
    }
    if (order === undefined || !order.open) {
      return this.send(client, '9', {
        OrderID: order?.venueOrderId ?? 'NONE',
        ClOrdID: requestId,
        OrigClOrdID: original,
        OrdStatus: order === undefined ? '8' : '2',
        CxlRejResponseTo: '1',
        CxlRejReason: order === undefined ? 1 : 0,
        Text: order === undefined ? 'unknown order' : 'too late to cancel',
      });
    }
    this.cancelled(order, requestId, original, client);
  }

  /** A refused cancel (F) or mass cancel (q) answered by 35=j or 35=3, as `refuseWith` says. */
  private rejectRequest(client: string, msgType: 'F' | 'q', message: Record<string, unknown>) {
    const text = `${msgType === 'q' ? 'mass cancel' : 'cancel'} is not permitted for this session`;
    if (this.refuseWith === 'business-reject') {
      return this.send(client, 'j', {
        RefMsgType: msgType,
        BusinessRejectRefID: String(message['ClOrdID']),
        BusinessRejectReason: 6,
        Text: text,
      });
    }
    const header = message['StandardHeader'] as { MsgSeqNum?: number } | undefined;
    this.send(client, '3', {
      RefSeqNum: header?.MsgSeqNum ?? 0,
      RefMsgType: msgType,
      SessionRejectReason: 11,
      Text: text,
    });
  }

  /** The report goes to the order's session, and to the session that asked when another one did. */
  private cancelled(
    order: VenueOrder,
    clientOrderId: string,
    original?: string,
    requester?: string,
  ): void {
    order.open = false;
    const report = this.report(order, '4', '4', {
      ClOrdID: clientOrderId,
      ...(original === undefined ? {} : { OrigClOrdID: original }),
    });
    this.send(order.client, '8', report);
    if (requester !== undefined && requester !== order.client) this.send(requester, '8', report);
  }

  private massCancel(client: string, account: string, message: Record<string, unknown>): void {
    const requestId = String(message['ClOrdID']);
    const header = {
      ClOrdID: requestId,
      OrderID: `MC${++this.nextId}`,
      MassCancelRequestType: '7',
    };
    if (this.refuseMassCancel) {
      if (this.refuseWith !== 'report') return this.rejectRequest(client, 'q', message);
      return this.send(client, 'r', {
        ...header,
        MassCancelResponse: '0',
        MassCancelRejectReason: '0',
        Text: 'mass cancel is not permitted for this session',
      });
    }
    const open = this.openOrders(account).filter(
      (order) => !this.massCancelKeeps.has(order.clientOrderId),
    );
    // The report first, as the spec orders it: the per-order reports follow.
    this.send(client, 'r', {
      ...header,
      MassCancelResponse: '7',
      TotalAffectedOrders: open.length,
    });
    for (const order of open) this.cancelled(order, order.clientOrderId, undefined, client);
  }

  private massStatus(client: string, account: string, message: Record<string, unknown>): void {
    const requestId = String(message['MassStatusReqID']);
    const open = this.openOrders(account);
    if (open.length === 0) {
      return this.send(client, '8', {
        OrderID: 'NONE',
        ExecID: `X${++this.nextId}`,
        ExecType: 'I',
        OrdStatus: '8',
        Side: '1',
        LeavesQty: 0,
        CumQty: 0,
        AvgPx: 0,
        MassStatusReqID: requestId,
        TotNumReports: 0,
        LastRptRequested: true,
      });
    }
    open.forEach((order, index) =>
      this.send(
        client,
        '8',
        this.report(order, 'I', order.filled > 0 ? '1' : '0', {
          MassStatusReqID: requestId,
          TotNumReports: open.length,
          LastRptRequested: index === open.length - 1,
        }),
      ),
    );
  }

  private report(
    order: VenueOrder,
    execType: string,
    status: string,
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> {
    return {
      OrderID: order.venueOrderId,
      ClOrdID: order.clientOrderId,
      ExecID: `X${++this.nextId}`,
      ExecType: execType,
      OrdStatus: status,
      Instrument: { Symbol: order.symbol },
      Side: order.side,
      OrderQtyData: { OrderQty: order.quantity },
      ...(order.price === undefined ? {} : { Price: order.price }),
      LeavesQty: order.open ? order.quantity - order.filled : 0,
      CumQty: order.filled,
      AvgPx: 0,
      TransactTime: new Date(),
      ...extra,
    };
  }
}

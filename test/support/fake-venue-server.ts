// A local stand-in for Kraken's spot REST API (the calls CcxtFeed and CcxtBroker make), so ccxt's
// own request signing and response parsing run for real. Signatures are required, not verified.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One AssetPairs entry, in Kraken's own field names. */
export interface FakePair {
  readonly id: string;
  readonly altname: string;
  readonly base: string;
  readonly quote: string;
  readonly pair_decimals: number;
  readonly lot_decimals: number;
  readonly ordermin: string;
  readonly costmin: string;
  bid: number;
  ask: number;
}

export interface FakeOrder {
  readonly txid: string;
  readonly pair: FakePair;
  readonly side: 'buy' | 'sell';
  readonly type: 'market' | 'limit';
  readonly volume: number;
  readonly price: number | undefined;
  readonly clientOrderId: string | undefined;
  readonly openedAt: number;
  status: 'open' | 'closed' | 'canceled';
  filled: number;
  closedAt?: number;
}

export interface FakeTrade {
  readonly id: string;
  readonly order: FakeOrder;
  readonly volume: number;
  readonly price: number;
  readonly time: number;
}

/**
 * What the server does to the next matching request instead of answering normally:
 * `http-429`: an HTTP 429; `kraken-error`: `{error:[message]}`; `drop-before`: closes the socket
 * without acting; `drop-after`: acts, then closes the socket; `delay-after`: acts, answers late.
 */
export type Fault =
  | { readonly kind: 'http-429' }
  | { readonly kind: 'kraken-error'; readonly message: string }
  | { readonly kind: 'drop-before' }
  | { readonly kind: 'drop-after' }
  | { readonly kind: 'delay-after'; readonly delayMs: number };

const ASSETS: Record<string, { altname: string; decimals: number }> = {
  XXBT: { altname: 'XBT', decimals: 10 },
  XETH: { altname: 'ETH', decimals: 10 },
  ZUSD: { altname: 'USD', decimals: 4 },
};

export class FakeVenueServer {
  readonly pairs: FakePair[] = [
    pair('XXBTZUSD', 'XBTUSD', 'XXBT', 'ZUSD', 1, 8, '0.0001', '0.5', 50_000),
    pair('XETHZUSD', 'ETHUSD', 'XETH', 'ZUSD', 2, 8, '0.002', '0.5', 2_500),
  ];
  readonly balances: Record<string, number> = { ZUSD: 1_000_000, XXBT: 10, XETH: 100 };
  readonly orders = new Map<string, FakeOrder>();
  readonly trades: FakeTrade[] = [];
  /** AddOrder requests per client order id (cl_ord_id), whatever became of them. */
  readonly addOrderCalls = new Map<string, number>();
  /** CancelAllOrdersAfter calls: the timeout in seconds, and when it arrived (epoch ms). */
  readonly deadManCalls: { timeout: number; time: number }[] = [];
  /** Every request's method name (`Ticker`, `AddOrder`...), in arrival order. */
  readonly calls: string[] = [];
  /** Set by the test to make market orders rest instead of filling at once. */
  fillMarketOrders = true;
  /** Orders (txid) the venue keeps open whatever cancel arrives, while still answering it. */
  readonly uncancellable = new Set<string>();
  /** Called with each request's method name before the venue acts on it (a fill racing a cancel). */
  onRequest: ((method: string) => void) | undefined;
  private readonly faults = new Map<string, Fault[]>();
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private deadManTimer: NodeJS.Timeout | undefined;
  private sequence = 0;

  private constructor() {
    this.server = createServer((request, response) => this.handle(request, response));
  }

  static async start(): Promise<FakeVenueServer> {
    const venue = new FakeVenueServer();
    await new Promise<void>((resolve) => venue.server.listen(0, '127.0.0.1', resolve));
    return venue;
  }

  /** For ccxt's `urls.api` override. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `times` requests to `method` meet `fault`. */
  failNext(method: string, fault: Fault, times = 1): void {
    const queue = this.faults.get(method) ?? [];
    for (let index = 0; index < times; index += 1) queue.push(fault);
    this.faults.set(method, queue);
  }

  callsTo(method: string): number {
    return this.calls.filter((call) => call === method).length;
  }

  /** An order placed at the venue by someone else (another process, the web UI). */
  placeForeignOrder(
    pairId: string,
    side: 'buy' | 'sell',
    volume: number,
    price: number,
  ): FakeOrder {
    return this.open(this.pairById(pairId), side, 'limit', volume, price, undefined);
  }

  /** Fills (part of) a resting order at its limit price, as if the market came to it. */
  fill(txid: string, volume?: number): FakeTrade {
    const order = this.orders.get(txid);
    if (order === undefined || order.status !== 'open') throw new Error(`no open order ${txid}`);
    return this.trade(order, volume ?? order.volume - order.filled, order.price ?? order.pair.ask);
  }

  openOrders(): FakeOrder[] {
    return [...this.orders.values()].filter((order) => order.status === 'open');
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    clearTimeout(this.deadManTimer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://local');
      const method = url.pathname.split('/').pop() ?? '';
      this.calls.push(method);
      this.onRequest?.(method);
      const isPrivate = url.pathname.startsWith('/0/private/');
      const params = isPrivate
        ? new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
        : url.searchParams;
      const fault = this.faults.get(method)?.shift();
      if (fault?.kind === 'drop-before') return void request.socket.destroy();
      if (fault?.kind === 'http-429') {
        response.writeHead(429, { 'content-type': 'text/plain' });
        return void response.end('Too Many Requests');
      }
      if (fault?.kind === 'kraken-error') return send(response, 200, { error: [fault.message] });
      let body: unknown;
      if (isPrivate && (!request.headers['api-key'] || !request.headers['api-sign'])) {
        body = { error: ['EAPI:Invalid key'] };
      } else {
        body = this.answer(method, params);
      }
      if (fault?.kind === 'drop-after') return void request.socket.destroy();
      if (fault?.kind === 'delay-after') {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          send(response, 200, body);
        }, fault.delayMs);
        this.timers.add(timer);
        return;
      }
      send(response, 200, body);
    });
  }

  private answer(method: string, params: URLSearchParams): unknown {
    try {
      return { error: [], result: this.result(method, params) };
    } catch (error) {
      return { error: [(error as Error).message] };
    }
  }

  private result(method: string, params: URLSearchParams): unknown {
    switch (method) {
      case 'Assets':
        return Object.fromEntries(
          Object.entries(ASSETS).map(([id, asset]) => [
            id,
            { aclass: 'currency', ...asset, display_decimals: 5, status: 'enabled' },
          ]),
        );
      case 'AssetPairs':
        return Object.fromEntries(this.pairs.map((entry) => [entry.id, assetPair(entry)]));
      case 'Ticker':
        return this.ticker(params.get('pair') ?? '');
      case 'BalanceEx':
        return Object.fromEntries(
          Object.entries(this.balances).map(([id, total]) => [
            id,
            { balance: total.toFixed(8), hold_trade: '0.00000000' },
          ]),
        );
      case 'AddOrder':
        return this.addOrder(params);
      case 'CancelOrder':
        return this.cancelOrder(params);
      case 'CancelAll':
        return { count: this.cancelAll() };
      case 'CancelAllOrdersAfter':
        return this.cancelAllOrdersAfter(Number(params.get('timeout')));
      case 'OpenOrders':
        return { open: this.describeOrders(this.openOrders()) };
      case 'ClosedOrders': {
        const closed = [...this.orders.values()].filter((order) => order.status !== 'open');
        return { closed: this.describeOrders(closed), count: closed.length };
      }
      case 'TradesHistory':
        return this.tradesHistory(Number(params.get('start') ?? 0));
      default:
        throw new Error('EGeneral:Unknown method');
    }
  }

  /** Every call moves each quote by one price step, so polls see fresh quotes. */
  private ticker(pairIds: string): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const id of pairIds.split(',')) {
      const entry = this.pairById(id);
      const step = 10 ** -entry.pair_decimals;
      entry.bid = round(entry.bid + step, entry.pair_decimals);
      entry.ask = round(entry.ask + step, entry.pair_decimals);
      result[id] = {
        a: [String(entry.ask), '1', '1.000'],
        b: [String(entry.bid), '2', '2.000'],
        c: [String(entry.bid), '0.1'],
        v: ['10', '20'],
        p: [String(entry.bid), String(entry.bid)],
        t: [5, 10],
        l: [String(entry.bid), String(entry.bid)],
        h: [String(entry.ask), String(entry.ask)],
        o: String(entry.bid),
      };
    }
    return result;
  }

  private addOrder(params: URLSearchParams): unknown {
    const clientOrderId = params.get('cl_ord_id') ?? undefined;
    if (clientOrderId !== undefined) {
      this.addOrderCalls.set(clientOrderId, (this.addOrderCalls.get(clientOrderId) ?? 0) + 1);
    }
    const entry = this.pairs.find((candidate) => candidate.id === params.get('pair'));
    if (entry === undefined) throw new Error('EQuery:Unknown asset pair');
    const side = params.get('type') === 'sell' ? 'sell' : 'buy';
    const type = params.get('ordertype') === 'limit' ? 'limit' : 'market';
    const volume = Number(params.get('volume'));
    const price = type === 'limit' ? Number(params.get('price')) : undefined;
    if (!(volume >= Number(entry.ordermin))) throw new Error('EOrder:Order minimum not met');
    const cost = volume * (price ?? entry.ask);
    const funds = side === 'buy' ? this.balances[entry.quote] : this.balances[entry.base];
    if ((side === 'buy' ? cost : volume) > (funds ?? 0)) {
      throw new Error('EOrder:Insufficient funds');
    }
    const order = this.open(entry, side, type, volume, price, clientOrderId);
    const touch = side === 'buy' ? entry.ask : entry.bid;
    const crosses = price !== undefined && (side === 'buy' ? price >= touch : price <= touch);
    if ((type === 'market' && this.fillMarketOrders) || crosses) {
      this.trade(order, volume, touch);
    }
    const shown = `${side} ${volume.toFixed(8)} ${entry.altname} @ ${type}${price === undefined ? '' : ` ${price}`}`;
    return { descr: { order: shown }, txid: [order.txid] };
  }

  private cancelOrder(params: URLSearchParams): unknown {
    const txid = params.get('txid');
    const clientOrderId = params.get('cl_ord_id');
    const order = this.openOrders().find(
      (candidate) => candidate.txid === txid || candidate.clientOrderId === clientOrderId,
    );
    if (order === undefined) throw new Error('EOrder:Unknown order');
    if (!this.uncancellable.has(order.txid)) this.close_(order, 'canceled');
    return { count: 1 };
  }

  private cancelAll(): number {
    const open = this.openOrders();
    for (const order of open)
      if (!this.uncancellable.has(order.txid)) this.close_(order, 'canceled');
    return open.length;
  }

  /** Kraken's dead-man switch: cancel everything `timeout` seconds from now unless extended. */
  private cancelAllOrdersAfter(timeout: number): unknown {
    const now = Date.now();
    this.deadManCalls.push({ timeout, time: now });
    clearTimeout(this.deadManTimer);
    this.deadManTimer = undefined;
    if (timeout > 0) {
      this.deadManTimer = setTimeout(() => this.cancelAll(), timeout * 1000);
    }
    return {
      currentTime: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'),
      triggerTime:
        timeout > 0 ? new Date(now + timeout * 1000).toISOString().replace(/\.\d+Z$/, 'Z') : '0',
    };
  }

  private tradesHistory(startSeconds: number): unknown {
    const trades: Record<string, unknown> = {};
    for (const trade of this.trades) {
      if (trade.time / 1000 <= startSeconds) continue;
      trades[trade.id] = {
        ordertxid: trade.order.txid,
        postxid: 'TKH2SE-M7IF5-CFI7LT',
        pair: trade.order.pair.id,
        time: trade.time / 1000,
        type: trade.order.side,
        ordertype: trade.order.type,
        price: trade.price.toFixed(trade.order.pair.pair_decimals),
        cost: (trade.price * trade.volume).toFixed(5),
        fee: '0.00000',
        vol: trade.volume.toFixed(8),
        margin: '0.00000',
        misc: '',
        maker: trade.order.type === 'limit',
      };
    }
    return { trades, count: Object.keys(trades).length };
  }

  private open(
    entry: FakePair,
    side: 'buy' | 'sell',
    type: 'market' | 'limit',
    volume: number,
    price: number | undefined,
    clientOrderId: string | undefined,
  ): FakeOrder {
    const txid = `O${this.nextId()}-ABCDE-FGHIJK`;
    const order: FakeOrder = {
      ...{ txid, pair: entry, side, type, volume, price, clientOrderId },
      ...{ openedAt: Date.now(), status: 'open', filled: 0 },
    };
    this.orders.set(txid, order);
    return order;
  }

  private trade(order: FakeOrder, volume: number, price: number): FakeTrade {
    const trade: FakeTrade = {
      id: `T${this.nextId()}-XYZAB-CDEFGH`,
      order,
      volume,
      price,
      time: Date.now(),
    };
    this.trades.push(trade);
    order.filled += volume;
    const sign = order.side === 'buy' ? 1 : -1;
    this.balances[order.pair.base] = (this.balances[order.pair.base] ?? 0) + sign * volume;
    this.balances[order.pair.quote] =
      (this.balances[order.pair.quote] ?? 0) - sign * volume * price;
    if (order.filled >= order.volume - 1e-12) this.close_(order, 'closed');
    return trade;
  }

  private close_(order: FakeOrder, status: 'closed' | 'canceled'): void {
    order.status = status;
    order.closedAt = Date.now();
  }

  private describeOrders(orders: FakeOrder[]): Record<string, unknown> {
    return Object.fromEntries(
      orders.map((order) => {
        const price = order.price === undefined ? '0' : String(order.price);
        const shown = `${order.side} ${order.volume.toFixed(8)} ${order.pair.altname} @ ${order.type}${order.type === 'limit' ? ` ${price}` : ''}`;
        return [
          order.txid,
          {
            refid: null,
            userref: null,
            cl_ord_id: order.clientOrderId ?? null,
            status: order.status,
            opentm: order.openedAt / 1000,
            ...(order.closedAt === undefined ? {} : { closetm: order.closedAt / 1000 }),
            starttm: 0,
            expiretm: 0,
            descr: {
              pair: order.pair.altname,
              type: order.side,
              ordertype: order.type,
              price,
              price2: '0',
              leverage: 'none',
              order: shown,
              close: '',
            },
            vol: order.volume.toFixed(8),
            vol_exec: order.filled.toFixed(8),
            cost: '0.00000',
            fee: '0.00000',
            price: '0.00000',
            stopprice: '0.00000',
            limitprice: '0.00000',
            misc: '',
            oflags: 'fciq',
          },
        ];
      }),
    );
  }

  private pairById(id: string): FakePair {
    const entry = this.pairs.find((candidate) => candidate.id === id || candidate.altname === id);
    if (entry === undefined) throw new Error('EQuery:Unknown asset pair');
    return entry;
  }

  private nextId(): string {
    this.sequence += 1;
    return String(this.sequence).padStart(5, '0');
  }
}

function pair(
  id: string,
  altname: string,
  base: string,
  quote: string,
  pairDecimals: number,
  lotDecimals: number,
  ordermin: string,
  costmin: string,
  mid: number,
): FakePair {
  const step = 10 ** -pairDecimals;
  return {
    ...{ id, altname, base, quote, pair_decimals: pairDecimals, lot_decimals: lotDecimals },
    ...{
      ordermin,
      costmin,
      bid: round(mid - step, pairDecimals),
      ask: round(mid + step, pairDecimals),
    },
  };
}

function assetPair(entry: FakePair): Record<string, unknown> {
  return {
    altname: entry.altname,
    wsname: `${ASSETS[entry.base]?.altname}/${ASSETS[entry.quote]?.altname}`,
    aclass_base: 'currency',
    base: entry.base,
    aclass_quote: 'currency',
    quote: entry.quote,
    lot: 'unit',
    cost_decimals: 5,
    pair_decimals: entry.pair_decimals,
    lot_decimals: entry.lot_decimals,
    lot_multiplier: 1,
    leverage_buy: [],
    leverage_sell: [],
    fees: [[0, 0.26]],
    fees_maker: [[0, 0.16]],
    fee_volume_currency: 'ZUSD',
    margin_call: 80,
    margin_stop: 40,
    ordermin: entry.ordermin,
    costmin: entry.costmin,
    tick_size: String(10 ** -entry.pair_decimals),
    status: 'online',
  };
}

function round(value: number, decimals: number): number {
  return Number(value.toFixed(decimals));
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

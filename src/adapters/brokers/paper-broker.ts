// Simulated broker: market orders fill at the touch, resting limit orders fill when the market reaches them.

import { systemClock, type Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import { InstrumentCatalog } from '../../core/instrument-catalog.js';
import type { Broker, BrokerListener } from '../../core/ports.js';
import {
  signedQuantity,
  type Fill,
  type Order,
  type Position,
  type Tick,
} from '../../core/types.js';

export interface PaperBrokerOptions {
  /** Stamps fill times. */
  readonly clock?: Clock;
  /** Fee per fill as a fraction of its value (quantity × contract size × price); default 0. */
  readonly feeRate?: number;
  /** Contract sizes and quote currencies for the fee; default: read from the symbol names, USD account. */
  readonly instruments?: InstrumentCatalog;
}

/** Reasons handed to `BrokerListener.onReject`; stable so journals and tests can match them. */
export type PaperRejectReason =
  | 'NO_QUOTE'
  | 'INVALID_SYMBOL'
  | 'INVALID_SIDE'
  | 'INVALID_ORDER_TYPE'
  | 'INVALID_QUANTITY'
  | 'LIMIT_PRICE_REQUIRED'
  | 'INVALID_PRICE'
  | 'DUPLICATE_ORDER_ID';

interface Holding {
  quantity: number;
  averagePrice: number;
}

/** Below this a position is float noise left by fractional quantities, and counts as flat. */
const FLAT_EPSILON = 1e-9;

export class PaperBroker implements Broker {
  readonly name = 'paper';
  private readonly clock: Clock;
  private listener: BrokerListener | undefined;
  private readonly quotes = new Map<string, Tick>();
  /** Resting limit orders by id, in arrival order. */
  private readonly resting = new Map<string, Order>();
  /** The same orders per symbol, so a tick only looks at its own symbol's book. */
  private readonly restingBySymbol = new Map<string, Set<Order>>();
  private readonly holdings = new Map<string, Holding>();
  private readonly feeRate: number;
  private readonly instruments: InstrumentCatalog;

  constructor(options: PaperBrokerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.feeRate = options.feeRate ?? 0;
    if (!(this.feeRate >= 0 && this.feeRate < 1)) {
      throw new LivegateError(
        'ERR_CONFIG_INVALID',
        `paper broker: feeRate must be a fraction >= 0 and < 1, received ${String(options.feeRate)}`,
      );
    }
    this.instruments = options.instruments ?? new InstrumentCatalog('USD');
  }

  connect(listener: BrokerListener): Promise<void> {
    this.listener = listener;
    return Promise.resolve();
  }

  submit(order: Order): void {
    const listener = this.listener;
    if (listener === undefined) {
      throw new LivegateError(
        'ERR_BROKER_FAILED',
        `paper broker: submit(${order.id}) before connect()`,
        {
          details: { orderId: order.id },
        },
      );
    }
    const problem = this.validate(order);
    if (problem !== null) return listener.onReject(order.id, problem);
    const quote = this.quotes.get(order.symbol);
    if (order.type === 'market') {
      if (quote === undefined) return listener.onReject(order.id, 'NO_QUOTE');
      return this.fill(order, order.side === 'buy' ? quote.ask : quote.bid);
    }
    const touch = quote === undefined ? undefined : marketableAt(order, quote);
    if (touch !== undefined) return this.fill(order, touch);
    this.rest(order);
  }

  /** Remembers the quote and fills resting limits it crosses, at their limit price. */
  observeTick(tick: Tick): void {
    this.quotes.set(tick.symbol, tick);
    if (this.resting.size === 0) return;
    const book = this.restingBySymbol.get(tick.symbol);
    if (book === undefined) return;
    let crossed: Order[] | undefined;
    for (const order of book) {
      if (marketableAt(order, tick) !== undefined) (crossed ??= []).push(order);
    }
    if (crossed === undefined) return;
    // Take them off the book before reporting, so a listener that submits or cancels sees a settled book.
    for (const order of crossed) this.unrest(order);
    for (const order of crossed) this.fill(order, order.price as number);
  }

  cancel(orderId: string): Promise<boolean> {
    const order = this.resting.get(orderId);
    if (order === undefined) return Promise.resolve(false);
    this.unrest(order);
    this.listener?.onOrderDone(orderId, 'cancelled');
    return Promise.resolve(true);
  }

  cancelAll(): Promise<number> {
    const cancelled = [...this.resting.keys()];
    this.resting.clear();
    this.restingBySymbol.clear();
    // Reported after the book is empty, so a listener that submits sees it settled.
    for (const orderId of cancelled) this.listener?.onOrderDone(orderId, 'cancelled');
    return Promise.resolve(cancelled.length);
  }

  openOrders(): readonly Order[] {
    return [...this.resting.values()];
  }

  /** Signed position: positive long, negative short, 0 when flat. */
  position(symbol: string): number {
    return this.holdings.get(symbol)?.quantity ?? 0;
  }

  /** Open (non-flat) positions. */
  positions(): Position[] {
    return [...this.holdings].map(([symbol, holding]) => ({ symbol, ...holding }));
  }

  /** Latest quote seen for a symbol. */
  quote(symbol: string): Tick | undefined {
    return this.quotes.get(symbol);
  }

  /** Disconnects and drops resting orders (nobody would hear their fills); positions stay readable. */
  close(): Promise<void> {
    this.listener = undefined;
    this.resting.clear();
    this.restingBySymbol.clear();
    return Promise.resolve();
  }

  private validate(order: Order): PaperRejectReason | null {
    if (typeof order.symbol !== 'string' || order.symbol.length === 0) return 'INVALID_SYMBOL';
    if (order.side !== 'buy' && order.side !== 'sell') return 'INVALID_SIDE';
    if (order.type !== 'market' && order.type !== 'limit') return 'INVALID_ORDER_TYPE';
    if (!(Number.isFinite(order.quantity) && order.quantity > 0)) return 'INVALID_QUANTITY';
    if (order.type === 'limit') {
      if (order.price === undefined) return 'LIMIT_PRICE_REQUIRED';
      if (!(Number.isFinite(order.price) && order.price > 0)) return 'INVALID_PRICE';
    }
    if (this.resting.has(order.id)) return 'DUPLICATE_ORDER_ID';
    return null;
  }

  private rest(order: Order): void {
    this.resting.set(order.id, order);
    let book = this.restingBySymbol.get(order.symbol);
    if (book === undefined) this.restingBySymbol.set(order.symbol, (book = new Set()));
    book.add(order);
  }

  private unrest(order: Order): void {
    this.resting.delete(order.id);
    const book = this.restingBySymbol.get(order.symbol);
    book?.delete(order);
    if (book?.size === 0) this.restingBySymbol.delete(order.symbol);
  }

  private fill(order: Order, price: number): void {
    this.applyToPosition(order.symbol, signedQuantity(order.side, order.quantity), price);
    const fill: Fill = {
      orderId: order.id,
      symbol: order.symbol,
      side: order.side,
      quantity: order.quantity,
      price,
      time: this.clock.now(),
      ...this.feeFor(order, price),
    };
    this.listener?.onFill(fill);
  }

  /** A simulated venue fee, charged in the quote currency; none at all when the rate is 0. */
  private feeFor(order: Order, price: number): Pick<Fill, 'fee' | 'feeCurrency'> {
    if (this.feeRate === 0) return {};
    const { contractSize, quote } = this.instruments.get(order.symbol);
    return { fee: this.feeRate * order.quantity * contractSize * price, feeCurrency: quote };
  }

  /** Growing keeps a weighted average price, shrinking keeps it, flipping starts at the fill price. */
  private applyToPosition(symbol: string, delta: number, price: number): void {
    const holding = this.holdings.get(symbol);
    if (holding === undefined) {
      this.holdings.set(symbol, { quantity: delta, averagePrice: price });
      return;
    }
    const before = holding.quantity;
    const after = before + delta;
    if (Math.abs(after) < FLAT_EPSILON) {
      this.holdings.delete(symbol);
    } else if (Math.sign(before) === Math.sign(delta)) {
      holding.averagePrice =
        (Math.abs(before) * holding.averagePrice + Math.abs(delta) * price) / Math.abs(after);
      holding.quantity = after;
    } else {
      if (Math.sign(after) !== Math.sign(before)) holding.averagePrice = price;
      holding.quantity = after;
    }
  }
}

/** The touch price a limit order would trade at against `quote`, or undefined if it would rest. */
function marketableAt(order: Order, quote: Tick): number | undefined {
  const limit = order.price as number;
  if (order.side === 'buy') return quote.ask <= limit ? quote.ask : undefined;
  return quote.bid >= limit ? quote.bid : undefined;
}

// Domain values that cross every layer: ticks in, signals out, orders and fills at the broker.

export type Side = 'buy' | 'sell';
export type OrderType = 'market' | 'limit';

/** One top-of-book quote. Times are epoch milliseconds. */
export interface Tick {
  readonly symbol: string;
  readonly bid: number;
  readonly ask: number;
  /** Exchange or source time, epoch ms. */
  readonly time: number;
  readonly bidSize?: number;
  readonly askSize?: number;
}

/** What a strategy wants; it becomes an order only after gate 2. */
export interface Signal {
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly type: OrderType;
  /** Required for limit orders. */
  readonly price?: number;
  /** Free text carried to the order for the journal. */
  readonly tag?: string;
}

export interface Order {
  readonly id: string;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly type: OrderType;
  readonly price: number | undefined;
  readonly tag: string | undefined;
  /** Epoch ms when the engine created the order. */
  readonly createdAt: number;
}

export interface Fill {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly price: number;
  /** Epoch ms. */
  readonly time: number;
  /** What the venue charged for this fill (a rebate is negative); counts in realized P&L. */
  readonly fee?: number;
  /** The fee's currency; default: the instrument's quote currency. */
  readonly feeCurrency?: string;
  /** The venue's id of this execution (FIX ExecID), where it gives one: a replay repeats it. */
  readonly executionId?: string;
}

export interface Position {
  readonly symbol: string;
  /** Signed: positive long, negative short. */
  readonly quantity: number;
  readonly averagePrice: number;
}

export function signedQuantity(side: Side, quantity: number): number {
  return side === 'buy' ? quantity : -quantity;
}

// The gateway protocol's frames (docs/gateway-protocol.md): outbound shapes and a parser for inbound ones.

import type { OrderType, Side, Tick } from '../../core/types.js';

export const GATEWAY_PROTOCOL_VERSION = 1;
/** Largest frame either side may send; livegate drops a connection that sends more. */
export const MAX_FRAME_BYTES = 1_048_576;
/** Gateway closes with this when its data has ended (a replay): the feed ends instead of reconnecting. */
export const END_OF_STREAM_CLOSE_CODE = 4000;
/** livegate closes with this after a protocol error (no hello, wrong version). */
export const PROTOCOL_ERROR_CLOSE_CODE = 4001;
/** livegate closes with this when nothing arrived for `staleAfterMs`. */
export const STALE_CLOSE_CODE = 4002;
/** Dial-in: livegate refuses a connection whose token is missing or wrong. */
export const UNAUTHORIZED_CLOSE_CODE = 4003;
/** Dial-in: livegate refuses a gateway while another gateway holds that role's session. */
export const SESSION_HELD_CLOSE_CODE = 4004;
/** Dial-in: livegate closes a session that a newer dial-in of the same gateway replaced. */
export const REPLACED_CLOSE_CODE = 4005;

export interface GatewayOrder {
  /** Absent for orders placed outside livegate (by hand in the terminal). */
  readonly clientOrderId: string | undefined;
  readonly venueOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly type: OrderType;
  readonly price: number | undefined;
}

export interface GatewayPosition {
  readonly symbol: string;
  /** Signed net quantity: positive long, negative short. */
  readonly quantity: number;
}

export type InboundFrame =
  | {
      readonly type: 'hello';
      readonly seq: number;
      readonly protocol: number;
      readonly gateway: string;
    }
  | { readonly type: 'tick'; readonly seq: number; readonly tick: Tick }
  | {
      readonly type: 'ack';
      readonly seq: number;
      readonly clientOrderId: string;
      readonly venueOrderId: string;
    }
  | {
      readonly type: 'reject';
      readonly seq: number;
      readonly clientOrderId: string;
      readonly code: string;
      readonly reason: string;
    }
  | {
      readonly type: 'fill';
      readonly seq: number;
      readonly clientOrderId: string;
      readonly fillId: string;
      readonly symbol: string;
      readonly side: Side;
      readonly quantity: number;
      readonly price: number;
      readonly time: number;
      /** Optional: what the venue charged (negative: a rebate), in feeCurrency or the quote currency. */
      readonly fee?: number;
      readonly feeCurrency?: string;
    }
  | {
      readonly type: 'cancelled';
      readonly seq: number;
      /** Absent for an order placed outside livegate; then `venueOrderId` names it. */
      readonly clientOrderId: string | undefined;
      readonly venueOrderId: string | undefined;
      readonly requestId: string | undefined;
    }
  | {
      readonly type: 'orders';
      readonly seq: number;
      readonly requestId: string;
      readonly orders: readonly GatewayOrder[];
    }
  | {
      readonly type: 'positions';
      readonly seq: number;
      readonly requestId: string;
      readonly positions: readonly GatewayPosition[];
    }
  | { readonly type: 'heartbeat'; readonly seq: number; readonly time: number }
  | {
      readonly type: 'error';
      readonly seq: number;
      readonly code: string;
      readonly reason: string;
      readonly requestId: string | undefined;
      readonly clientOrderId: string | undefined;
    };

export type OutboundFrame =
  | { readonly type: 'subscribe'; readonly symbols: readonly string[] }
  | {
      readonly type: 'order';
      readonly clientOrderId: string;
      readonly symbol: string;
      readonly side: Side;
      readonly quantity: number;
      readonly orderType: OrderType;
      readonly price?: number;
    }
  | { readonly type: 'cancel'; readonly requestId: string; readonly clientOrderId: string }
  | { readonly type: 'cancel-all'; readonly requestId: string }
  | { readonly type: 'open-orders'; readonly requestId: string }
  | { readonly type: 'positions'; readonly requestId: string }
  | { readonly type: 'heartbeat'; readonly time: number; readonly intervalMs: number };

/** One frame's text, `type` and `seq` first. (`orderType`: in an order frame `type` is taken by "order".) */
export function encodeFrame(frame: OutboundFrame, seq: number): string {
  const { type, ...fields } = frame;
  return JSON.stringify({ type, seq, ...fields });
}

/** A frame whose `type` and `seq` could be read: its sequence number counts even if the rest is bad. */
export interface Envelope {
  readonly type: string;
  readonly seq: number;
  readonly record: Readonly<Record<string, unknown>>;
}

/** The envelope, or what makes the text unreadable. */
export function readEnvelope(text: string): Envelope | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `not JSON: ${preview(text)}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `not a JSON object: ${preview(text)}`;
  }
  const record = value as Record<string, unknown>;
  const { type, seq } = record;
  if (typeof type !== 'string') return `no "type": ${preview(text)}`;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    return `"seq" is not a positive integer in a ${type} frame`;
  }
  return { type, seq, record };
}

/** The typed frame, or what is wrong with it (an unknown type, a missing or mistyped field). */
export function parseFrame(envelope: Envelope): InboundFrame | string {
  const fields = new FieldReader(envelope.record);
  const frame = readBody(envelope.type, envelope.seq, fields);
  if (frame === undefined) return `unknown frame type "${preview(envelope.type)}"`;
  return fields.problem === undefined ? frame : `${envelope.type} frame: ${fields.problem}`;
}

function readBody(type: string, seq: number, read: FieldReader): InboundFrame | undefined {
  switch (type) {
    case 'hello':
      return { type, seq, protocol: read.number('protocol'), gateway: read.text('gateway') };
    case 'tick':
      return { type, seq, tick: read.tick() };
    case 'ack':
      return {
        type,
        seq,
        clientOrderId: read.text('clientOrderId'),
        venueOrderId: read.text('venueOrderId'),
      };
    case 'reject':
      return {
        type,
        seq,
        clientOrderId: read.text('clientOrderId'),
        code: read.text('code'),
        reason: read.text('reason'),
      };
    case 'fill':
      return { type, seq, ...read.fill() };
    case 'cancelled': {
      const clientOrderId = read.optionalText('clientOrderId');
      const venueOrderId = read.optionalText('venueOrderId');
      if (clientOrderId === undefined && venueOrderId === undefined) {
        read.problem ??= '"clientOrderId" or "venueOrderId" is required';
      }
      return { type, seq, clientOrderId, venueOrderId, requestId: read.optionalText('requestId') };
    }
    case 'orders':
      return { type, seq, requestId: read.text('requestId'), orders: read.orders() };
    case 'positions':
      return { type, seq, requestId: read.text('requestId'), positions: read.positions() };
    case 'heartbeat':
      return { type, seq, time: read.number('time') };
    case 'error':
      return {
        type,
        seq,
        code: read.text('code'),
        reason: read.text('reason'),
        requestId: read.optionalText('requestId'),
        clientOrderId: read.optionalText('clientOrderId'),
      };
    default:
      return undefined;
  }
}

/** Reads typed fields and keeps the first problem, so one frame is checked in a single pass. */
class FieldReader {
  problem: string | undefined;

  constructor(private readonly record: Readonly<Record<string, unknown>>) {}

  text(name: string, from = this.record): string {
    const value = from[name];
    if (typeof value === 'string' && value.length > 0) return value;
    this.problem ??= `"${name}" must be a non-empty string`;
    return '';
  }

  optionalText(name: string, from = this.record): string | undefined {
    return from[name] === undefined || from[name] === null ? undefined : this.text(name, from);
  }

  number(name: string, from = this.record): number {
    const value = from[name];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    this.problem ??= `"${name}" must be a finite number`;
    return Number.NaN;
  }

  positive(name: string, from = this.record): number {
    const value = this.number(name, from);
    if (!(value > 0)) this.problem ??= `"${name}" must be above zero`;
    return value;
  }

  side(from = this.record): Side {
    const value = from.side;
    if (value === 'buy' || value === 'sell') return value;
    this.problem ??= '"side" must be "buy" or "sell"';
    return 'buy';
  }

  /** Ticks are only type-checked here; the feed applies validateTick with its symbol list. */
  tick(): Tick {
    const { symbol, bid, ask, time, bidSize, askSize } = this.record;
    const tick = { symbol, bid, ask, time } as { [field: string]: unknown };
    if (bidSize !== undefined) tick.bidSize = bidSize;
    if (askSize !== undefined) tick.askSize = askSize;
    return tick as unknown as Tick;
  }

  fill(): Omit<Extract<InboundFrame, { type: 'fill' }>, 'type' | 'seq'> {
    return {
      clientOrderId: this.text('clientOrderId'),
      fillId: this.text('fillId'),
      symbol: this.text('symbol'),
      side: this.side(),
      quantity: this.positive('quantity'),
      price: this.positive('price'),
      time: this.number('time'),
      ...this.fee(),
    };
  }

  /** Both optional; a fee that is there must be a finite number, a currency a non-empty string. */
  private fee(): { fee?: number; feeCurrency?: string } {
    const present = (name: string) => this.record[name] !== undefined && this.record[name] !== null;
    const fee: { fee?: number; feeCurrency?: string } = {};
    if (present('fee')) fee.fee = this.number('fee');
    if (present('feeCurrency')) fee.feeCurrency = this.text('feeCurrency');
    return fee;
  }

  orders(): GatewayOrder[] {
    return this.list('orders').map((item) => {
      const type = item.orderType === 'limit' ? 'limit' : 'market';
      if (item.orderType !== 'limit' && item.orderType !== 'market') {
        this.problem ??= 'an order\'s "orderType" must be "market" or "limit"';
      }
      return {
        clientOrderId: this.optionalText('clientOrderId', item),
        venueOrderId: this.text('venueOrderId', item),
        symbol: this.text('symbol', item),
        side: this.side(item),
        quantity: this.positive('quantity', item),
        type,
        price:
          item.price === undefined || item.price === null
            ? undefined
            : this.positive('price', item),
      };
    });
  }

  positions(): GatewayPosition[] {
    return this.list('positions').map((item) => ({
      symbol: this.text('symbol', item),
      quantity: this.number('quantity', item),
    }));
  }

  private list(name: string): Readonly<Record<string, unknown>>[] {
    const value = this.record[name];
    const ok =
      Array.isArray(value) &&
      value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item));
    if (ok) return value as Record<string, unknown>[];
    this.problem ??= `"${name}" must be a list of objects`;
    return [];
  }
}

function preview(text: string): string {
  return text.length <= 80 ? text : `${text.slice(0, 80)}…`;
}

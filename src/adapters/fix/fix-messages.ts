// FIX 4.4 application messages livegate sends, and the ExecutionReport it reads, as plain objects
// named the way the dictionary names fields (jspurefix encodes and decodes them).

import type { Order, Side } from '../../core/types.js';
import type { FixMessage } from './fix-session-link.js';

export const MsgType = {
  ExecutionReport: '8',
  OrderCancelReject: '9',
  NewOrderSingle: 'D',
  OrderCancelRequest: 'F',
  MarketDataRequest: 'V',
  MarketDataSnapshotFullRefresh: 'W',
  MarketDataIncrementalRefresh: 'X',
  MarketDataRequestReject: 'Y',
  OrderMassCancelRequest: 'q',
  OrderMassCancelReport: 'r',
  OrderMassStatusRequest: 'AF',
  BusinessMessageReject: 'j',
  /** Session-level Reject (jspurefix hands it on: fix-session-link.ts). */
  Reject: '3',
} as const;

/** MassCancelRequestType (530) / MassCancelResponse (531) 7: every order of the account. */
export const CANCEL_ALL_ORDERS = '7';
/** MassCancelResponse (531) 0: the venue refused the mass cancel. */
export const MASS_CANCEL_REJECTED = '0';
/** MassStatusReqType (585) 7: status of every order. */
export const STATUS_ALL_ORDERS = 7;
/** CxlRejReason (102) 1: unknown order; 0: too late to cancel (already done). */
const NOTHING_TO_CANCEL = new Set([0, 1, '0', '1']);

export function fixSide(side: Side): string {
  return side === 'buy' ? '1' : '2';
}

export function sideOf(value: unknown): Side | undefined {
  if (value === '1') return 'buy';
  if (value === '2') return 'sell';
  return undefined;
}

/** The order as a NewOrderSingle (35=D) whose ClOrdID is livegate's client order id. */
export function newOrderSingle(
  order: Order,
  clientOrderId: string,
  account: string | null,
): Record<string, unknown> {
  return {
    ClOrdID: clientOrderId,
    ...(account === null ? {} : { Account: account }),
    Instrument: { Symbol: order.symbol },
    Side: fixSide(order.side),
    TransactTime: new Date(),
    OrderQtyData: { OrderQty: order.quantity },
    OrdType: order.type === 'limit' ? '2' : '1',
    ...(order.type === 'limit' && order.price !== undefined ? { Price: order.price } : {}),
    // A limit rests until cancelled; a market order takes what is there and the rest ends.
    TimeInForce: order.type === 'limit' ? '1' : '3',
  };
}

export interface CancelTarget {
  readonly clientOrderId: string;
  readonly venueOrderId: string | undefined;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
}

export function orderCancelRequest(
  target: CancelTarget,
  requestId: string,
  account: string | null,
): Record<string, unknown> {
  return {
    OrigClOrdID: target.clientOrderId,
    ClOrdID: requestId,
    ...(target.venueOrderId === undefined ? {} : { OrderID: target.venueOrderId }),
    ...(account === null ? {} : { Account: account }),
    Instrument: { Symbol: target.symbol },
    Side: fixSide(target.side),
    TransactTime: new Date(),
    OrderQtyData: { OrderQty: target.quantity },
  };
}

export function orderMassCancelRequest(
  requestId: string,
  account: string | null,
): Record<string, unknown> {
  return {
    ClOrdID: requestId,
    MassCancelRequestType: CANCEL_ALL_ORDERS,
    ...(account === null ? {} : { Account: account }),
    TransactTime: new Date(),
  };
}

export function orderMassStatusRequest(
  requestId: string,
  account: string | null,
): Record<string, unknown> {
  return {
    MassStatusReqID: requestId,
    MassStatusReqType: STATUS_ALL_ORDERS,
    ...(account === null ? {} : { Account: account }),
  };
}

export function marketDataRequest(requestId: string, symbols: readonly string[]) {
  return {
    MDReqID: requestId,
    SubscriptionRequestType: '1',
    MarketDepth: 1,
    MDUpdateType: 1,
    MDReqGrp: { NoMDEntryTypes: [{ MDEntryType: '0' }, { MDEntryType: '1' }] },
    InstrmtMDReqGrp: {
      NoRelatedSym: symbols.map((symbol) => ({ Instrument: { Symbol: symbol } })),
    },
  };
}

/** An ExecutionReport (35=8), read into what livegate acts on. */
export interface ExecutionReport {
  readonly clientOrderId: string | undefined;
  /** Set on a cancel's report: the order it cancelled. */
  readonly originalClientOrderId: string | undefined;
  readonly venueOrderId: string | undefined;
  readonly executionId: string | undefined;
  /** ExecType (150): 0 new, F trade, 4 canceled, 8 rejected, C expired, I status... */
  readonly execType: string;
  readonly orderStatus: string;
  readonly symbol: string | undefined;
  readonly side: Side | undefined;
  readonly orderQuantity: number | undefined;
  readonly price: number | undefined;
  readonly lastQuantity: number;
  readonly lastPrice: number;
  readonly leavesQuantity: number | undefined;
  /** CumQty (14): what the order filled in all, as of this report. */
  readonly cumulativeQuantity: number | undefined;
  readonly text: string | undefined;
  readonly transactTime: number | undefined;
  readonly commission: number | undefined;
  readonly massStatusRequestId: string | undefined;
  readonly totalReports: number | undefined;
  readonly lastReport: boolean;
  readonly possibleDuplicate: boolean;
}

export function readExecutionReport(message: FixMessage): ExecutionReport {
  const instrument = record(message['Instrument']);
  const quantity = record(message['OrderQtyData']);
  const header = record(message['StandardHeader']);
  const commission = record(message['CommissionData']);
  return {
    clientOrderId: text(message['ClOrdID']),
    originalClientOrderId: text(message['OrigClOrdID']),
    venueOrderId: text(message['OrderID']),
    executionId: text(message['ExecID']),
    execType: text(message['ExecType']) ?? '',
    orderStatus: text(message['OrdStatus']) ?? '',
    symbol: text(instrument['Symbol']),
    side: sideOf(message['Side']),
    orderQuantity: number(quantity['OrderQty']),
    price: number(message['Price']),
    lastQuantity: number(message['LastQty']) ?? 0,
    lastPrice: number(message['LastPx']) ?? 0,
    leavesQuantity: number(message['LeavesQty']),
    cumulativeQuantity: number(message['CumQty']),
    text: text(message['Text']),
    transactTime: time(message['TransactTime']),
    commission: number(commission['Commission']),
    massStatusRequestId: text(message['MassStatusReqID']),
    totalReports: number(message['TotNumReports']),
    lastReport: message['LastRptRequested'] === true,
    possibleDuplicate: header['PossDupFlag'] === true,
  };
}

/** An OrderCancelReject (35=9) that says the order was not open: nothing left to cancel. */
export function nothingToCancel(message: FixMessage): boolean {
  return NOTHING_TO_CANCEL.has(message['CxlRejReason'] as string | number);
}

export function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

export function number(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return Number(value);
  }
  return undefined;
}

export function time(value: unknown): number | undefined {
  if (value instanceof Date && Number.isFinite(value.getTime())) return value.getTime();
  return undefined;
}

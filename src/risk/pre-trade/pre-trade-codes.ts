// The stable denial codes of gate 2's pre-trade chain, and the one way a check builds a denial.

import type { PreTradeDenial } from '../risk-ports.js';

/** Every code the chain can return, with what `details` carries; docs and tests read this list. */
export const PRE_TRADE_CODES = {
  UNKNOWN_INSTRUMENT: 'The symbol is not in `symbols` (details: symbol, knownSymbols)',
  RESTRICTED_SYMBOL: 'The symbol is on the restricted list (details: symbol)',
  INVALID_QUANTITY: 'The quantity is not a positive finite number (details: actual)',
  QUANTITY_NOT_LOT_MULTIPLE:
    'The quantity is not a multiple of the lot size (details: limit = lot size, actual)',
  QUANTITY_BELOW_MIN: 'The quantity is below the minimum (details: limit, actual)',
  MAX_ORDER_QUANTITY_EXCEEDED:
    'The quantity is above the maximum order quantity (details: limit, actual)',
  INVALID_PRICE: 'A limit order has no positive finite price (details: actual)',
  PRICE_OFF_TICK_GRID:
    'The limit price is not a multiple of the tick size (details: limit = tick size, actual)',
  OUTSIDE_TRADING_WINDOW:
    "The symbol's trading window (risk.tradingWindows) is closed or in its flatten phase and the order adds exposure; reducing orders pass (details: symbol, window, phase = closed | flattening, timeZone, nextOpen = ISO time | none)",
  MAX_NOTIONAL_EXCEEDED:
    'quantity × price (limit price, or mid for market orders) is above the limit (details: limit, actual, price)',
  MIN_NOTIONAL_NOT_MET:
    'quantity × price is below the venue minimum order value (details: limit, actual, price)',
  MAX_POSITION_EXCEEDED:
    '|position after the order|, with every working order on its side filled, is above the limit and the order grows it (details: limit, actual, position = filled, working = on its side)',
  DESK_LIMIT:
    "The order would take its desk (risk.desks) or the firm (risk.firm) past a limit: the rest of the desk as this engine last listed it + this engine's worst case + the order; or the desk's daily loss or drawdown is at its limit, or a figure cannot be valued; reducing orders pass (details: scope, rule = maxPosition | grossExposure | dailyLoss | drawdown | unvalued, limit, actual, rest, own, symbol, viewAgeMs, problem)",
  DESK_VIEW_STALE:
    "This engine's view of its desk or the firm is older than risk.deskView.maxAgeMs (the store could not be listed), or was never listed: new exposure fails closed; reducing orders pass (details: scope, ageMs = ms | 'never listed', maxAgeMs)",
  MAX_GROSS_EXPOSURE_EXCEEDED:
    'Σ worst |position| × contract size × mid × rate into the account currency over symbols, working orders and this order included, is above the limit and the order grows it (details: limit, actual, before)',
  PRICE_COLLAR_BREACHED:
    'The limit price is too far from the mid (details: limit, actual, unit = percent | ticks, referencePrice, price)',
  NO_CONVERSION_RATE:
    "The symbol's quote currency has no rate into the account currency (no quote of its pair, none configured); fail closed unless the order reduces (details: symbol, currency, accountCurrency | check = grossExposure)",
  NO_REFERENCE_PRICE:
    'No mid seen yet where one is needed; fail closed (details: symbol, check = market | collar | grossExposure)',
  ORDER_RATE_EXCEEDED:
    'A token bucket is empty; excess is denied, not queued (details: scope = engine | symbol, limit = per second, burst, actual = tokens left, retryAfterMs)',
  MAX_OPEN_ORDERS_EXCEEDED:
    'Open orders, this one included, would exceed the limit (details: limit, actual)',
  DUPLICATE_ORDER:
    'Same symbol, side, quantity and price as the last accepted order within the window (details: limit = window ms, actual = ms since)',
} as const;

export type PreTradeCode = keyof typeof PRE_TRADE_CODES;

export interface PreTradeDenialOf extends PreTradeDenial {
  readonly code: PreTradeCode;
  readonly details: Readonly<Record<string, number | string>>;
}

/** Denials may allocate: they are rare, and each becomes an event anyway. */
export function denial(
  code: PreTradeCode,
  details: Readonly<Record<string, number | string>>,
): PreTradeDenialOf {
  return { code, details };
}

/** Journals are JSON, where NaN and Infinity become null; say what the value was instead. */
export function reported(value: unknown): number | string {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return value === undefined ? 'missing' : typeof value;
}

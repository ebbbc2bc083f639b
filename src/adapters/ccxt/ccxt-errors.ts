// How the ccxt adapters read ccxt's error classes: what is retried, what is final, and the
// stable reject codes the journal and risk rules can match.

import {
  AuthenticationError,
  BadRequest,
  BadSymbol,
  DDoSProtection,
  DuplicateOrderId,
  InsufficientFunds,
  InvalidOrder,
  NetworkError,
  NotSupported,
  ArgumentsRequired,
  OperationRejected,
  RateLimitExceeded,
} from 'ccxt';

/** Reject codes a CcxtBroker puts first in `onReject`'s reason (`VENUE_INVALID_ORDER: ...`). */
export type VenueRejectCode =
  | 'VENUE_INVALID_ORDER'
  | 'VENUE_INSUFFICIENT_FUNDS'
  | 'VENUE_BAD_SYMBOL'
  | 'VENUE_ORDER_REJECTED'
  | 'VENUE_AUTHENTICATION'
  | 'VENUE_RATE_LIMITED'
  | 'VENUE_UNREACHABLE'
  | 'VENUE_ERROR';

/** Refused for rate: the request was not acted on, so resending cannot duplicate anything. */
export function isRateLimit(error: unknown): boolean {
  return error instanceof RateLimitExceeded || error instanceof DDoSProtection;
}

/** Worth another try after a pause (ccxt's NetworkError family: timeouts, 5xx, rate limits). */
export function isTransient(error: unknown): boolean {
  return error instanceof NetworkError;
}

/** Retrying cannot help: wrong credentials, symbols the venue does not list, calls it lacks. */
export function isPermanent(error: unknown): boolean {
  return (
    error instanceof AuthenticationError ||
    error instanceof BadSymbol ||
    error instanceof BadRequest ||
    error instanceof NotSupported ||
    error instanceof ArgumentsRequired
  );
}

/** The venue may have acted before the answer was lost, so an order must be looked up first. */
export function isAmbiguous(error: unknown): boolean {
  return (isTransient(error) && !isRateLimit(error)) || error instanceof DuplicateOrderId;
}

export function rejectCodeOf(error: unknown): VenueRejectCode {
  // Most specific first: BadSymbol is a BadRequest, DuplicateOrderId an InvalidOrder.
  if (error instanceof InsufficientFunds) return 'VENUE_INSUFFICIENT_FUNDS';
  if (error instanceof BadSymbol) return 'VENUE_BAD_SYMBOL';
  if (error instanceof InvalidOrder) return 'VENUE_INVALID_ORDER';
  if (error instanceof AuthenticationError) return 'VENUE_AUTHENTICATION';
  if (error instanceof OperationRejected) return 'VENUE_ORDER_REJECTED';
  if (isRateLimit(error)) return 'VENUE_RATE_LIMITED';
  if (isTransient(error)) return 'VENUE_UNREACHABLE';
  return 'VENUE_ERROR';
}

/** `RequestTimeout: kraken POST ... request timed out (500 ms)`, kept short for reports. */
export function describeVendorError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const text = `${error.constructor.name}: ${error.message}`;
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

export interface BackoffOptions {
  /** First pause; each further failure doubles it. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** Pause before attempt `failures + 1`: initial × 2^(failures − 1), capped. */
export function backoffDelay(failures: number, options: BackoffOptions): number {
  const exponent = Math.max(0, Math.min(failures - 1, 30));
  return Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** exponent);
}

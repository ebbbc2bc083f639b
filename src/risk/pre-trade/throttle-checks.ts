// Flow checks: open orders, duplicates within a window, and the token buckets' verdict.
// Limits arrive as objects, not numbers, so no double is boxed on the way in.

import { denial, type PreTradeDenialOf } from './pre-trade-codes.js';
import type { Signal } from '../../core/types.js';
import type { ResolvedLimits } from './resolved-limits.js';
import { priceKey, type SymbolState } from './symbol-state.js';
import type { TokenBucket } from './token-bucket.js';

export function openOrdersDenial(open: number, limits: ResolvedLimits): PreTradeDenialOf | null {
  if (open < limits.maxOpenOrders) return null;
  return denial('MAX_OPEN_ORDERS_EXCEEDED', { limit: limits.maxOpenOrders, actual: open + 1 });
}

/** Compares with the symbol's last accepted order (see SymbolState.remember). */
export function duplicateDenial(
  signal: Signal,
  state: SymbolState,
  now: number,
  limits: ResolvedLimits,
): PreTradeDenialOf | null {
  const windowMs = limits.duplicateWindowMs;
  if (windowMs <= 0) return null;
  const since = now - state.lastAcceptedAt;
  if (
    since >= windowMs ||
    state.lastSide !== signal.side ||
    state.lastQuantity !== signal.quantity ||
    state.lastPrice !== priceKey(signal)
  ) {
    return null;
  }
  return denial('DUPLICATE_ORDER', { limit: windowMs, actual: since });
}

/** Call after `bucket.refill(now)`; `scope` is `engine` or the symbol. */
export function rateDenial(bucket: TokenBucket, scope: string): PreTradeDenialOf | null {
  if (bucket.hasToken()) return null;
  return denial('ORDER_RATE_EXCEEDED', {
    scope,
    limit: bucket.ratePerSecond,
    burst: bucket.burst,
    actual: bucket.available,
    retryAfterMs: bucket.msUntilToken(),
  });
}

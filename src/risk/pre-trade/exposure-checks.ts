// Position and gross-exposure limits over the worst case of filled positions and working orders;
// an order that shrinks its worst case without crossing zero always passes them, so a book already
// over a (lowered) limit can still be worked down.

import { signedQuantity, type Signal } from '../../core/types.js';
import type { ConversionRates } from '../conversion-rates.js';
import type { AggregateHeadrooms } from '../desk/aggregate-headroom.js';
import { deskGrossDenial } from './desk-checks.js';
import { denial, type PreTradeDenialOf } from './pre-trade-codes.js';
import { exceeds } from './float-grid.js';
import type { ResolvedLimits } from './resolved-limits.js';
import type { SymbolState } from './symbol-state.js';

/**
 * `position` is the signed filled position in the order's symbol. The order is judged from the
 * worst case in its own direction: every working order on its side fills, none on the other.
 */
export function positionDenial(
  signal: Signal,
  state: SymbolState,
  position: number,
): PreTradeDenialOf | null {
  const limit = state.limits.maxPosition;
  if (limit === Infinity) return null;
  const buy = signal.side === 'buy';
  const before = buy ? position + state.workingBuys : position - state.workingSells;
  const after = before + signedQuantity(signal.side, signal.quantity);
  const size = Math.abs(after);
  if (!exceeds(size, limit) || reduces(before, after)) return null;
  return denial('MAX_POSITION_EXCEEDED', {
    limit,
    actual: size,
    position,
    working: buy ? state.workingBuys : state.workingSells,
  });
}

/**
 * Fail closed: an order whose P&L and exposure cannot be valued in the account currency is denied,
 * unless it shrinks the worst case of its symbol without crossing zero (a flatten must get out).
 */
export function conversionDenial(
  signal: Signal,
  state: SymbolState,
  position: number,
  rates: ConversionRates,
): PreTradeDenialOf | null {
  if (state.toAccount > 0) return null;
  const before =
    signal.side === 'buy' ? position + state.workingBuys : position - state.workingSells;
  if (reduces(before, before + signedQuantity(signal.side, signal.quantity))) return null;
  return denial('NO_CONVERSION_RATE', {
    symbol: state.symbol,
    currency: state.quote,
    accountCurrency: rates.accountCurrency,
    ...rates.whyUnusable(state.quote),
  });
}

/**
 * Σ worst |position| × contract size × mid × rate over every symbol, in the account currency, where a symbol's worst is the larger of
 * |position + working buys| and |position − working sells|, with the order added to its own side.
 * Another symbol held or working without a mid or a conversion rate fails closed: its exposure is
 * unknown. The same sum, plus the rest of the desk as last listed, is held to desk and firm
 * gross-exposure limits (DESK_LIMIT) when `aggregates` has any.
 */
export function grossExposureDenial(
  states: readonly SymbolState[],
  signal: Signal,
  own: SymbolState,
  position: number,
  limits: ResolvedLimits,
  rates: ConversionRates,
  aggregates: AggregateHeadrooms | undefined,
  now: number,
): PreTradeDenialOf | null {
  const limit = limits.maxGrossExposure;
  const deskLimited = aggregates !== undefined && aggregates.grossLimited;
  if (limit === Infinity && !deskLimited) return null;
  let others = 0;
  for (let index = 0; index < states.length; index++) {
    const state = states[index]!;
    if (state === own) continue;
    const long = Math.abs(state.position + state.workingBuys);
    const short = Math.abs(state.position - state.workingSells);
    if (long === 0 && short === 0) continue;
    if (!(state.mid > 0)) {
      return denial('NO_REFERENCE_PRICE', { symbol: state.symbol, check: 'grossExposure' });
    }
    if (!(state.toAccount > 0)) {
      return denial('NO_CONVERSION_RATE', {
        symbol: state.symbol,
        currency: state.quote,
        check: 'grossExposure',
        ...rates.whyUnusable(state.quote),
      });
    }
    others += (long > short ? long : short) * state.mid * state.toAccount;
  }
  const buy = signal.side === 'buy';
  const before = buy ? position + own.workingBuys : position - own.workingSells;
  const after = before + signedQuantity(signal.side, signal.quantity);
  const otherSide = Math.abs(buy ? position - own.workingSells : position + own.workingBuys);
  const sizeAfter = Math.abs(after) > otherSide ? Math.abs(after) : otherSide;
  // Marked at the mid; a limit order with the collar off may have none yet, so use its price.
  // Products per branch, so V8 never holds the mid in a possibly boxed variable.
  const ownAfter =
    own.mid > 0
      ? sizeAfter * own.mid * own.toAccount
      : sizeAfter * (signal.price as number) * own.toAccount;
  const gross = others + ownAfter;
  if (reduces(before, after)) return null;
  if (!exceeds(gross, limit))
    return deskLimited ? deskGrossDenial(aggregates.scopes, gross, now) : null;
  const mark = own.mid > 0 ? own.mid : (signal.price as number);
  const sizeBefore = Math.abs(before) > otherSide ? Math.abs(before) : otherSide;
  return denial('MAX_GROSS_EXPOSURE_EXCEEDED', {
    limit,
    actual: gross,
    before: others + sizeBefore * mark * own.toAccount,
  });
}

/** Toward zero without crossing it: a flip opens fresh exposure on the other side. */
export function reduces(position: number, after: number): boolean {
  if (position > 0) return after >= 0 && after < position;
  if (position < 0) return after <= 0 && after > position;
  return false;
}

// Position and gross-exposure limits; an order that shrinks a position without crossing zero
// always passes them, so a book already over a (lowered) limit can still be worked down.

import { signedQuantity, type Signal } from '../../core/types.js';
import { denial, type PreTradeDenialOf } from './pre-trade-codes.js';
import { exceeds } from './float-grid.js';
import type { ResolvedLimits } from './resolved-limits.js';
import type { SymbolState } from './symbol-state.js';

/** `position` is the signed position in the order's symbol before it. */
export function positionDenial(
  signal: Signal,
  state: SymbolState,
  position: number,
): PreTradeDenialOf | null {
  const limit = state.limits.maxPosition;
  if (limit === Infinity) return null;
  const after = position + signedQuantity(signal.side, signal.quantity);
  const size = Math.abs(after);
  if (!exceeds(size, limit) || reduces(position, after)) return null;
  return denial('MAX_POSITION_EXCEEDED', { limit, actual: size, position });
}

/**
 * Σ |position| × mid over every symbol, the order's own at its position after the order. Another
 * symbol held without a mid fails closed: its exposure is unknown.
 */
export function grossExposureDenial(
  states: readonly SymbolState[],
  signal: Signal,
  own: SymbolState,
  position: number,
  limits: ResolvedLimits,
): PreTradeDenialOf | null {
  const limit = limits.maxGrossExposure;
  if (limit === Infinity) return null;
  let others = 0;
  for (let index = 0; index < states.length; index++) {
    const state = states[index]!;
    if (state === own || state.position === 0) continue;
    if (!(state.mid > 0)) {
      return denial('NO_REFERENCE_PRICE', { symbol: state.symbol, check: 'grossExposure' });
    }
    others += Math.abs(state.position) * state.mid;
  }
  const after = position + signedQuantity(signal.side, signal.quantity);
  // Marked at the mid; a limit order with the collar off may have none yet, so use its price.
  // Products per branch, so V8 never holds the mid in a possibly boxed variable.
  const ownAfter =
    own.mid > 0 ? Math.abs(after) * own.mid : Math.abs(after) * (signal.price as number);
  const gross = others + ownAfter;
  if (!exceeds(gross, limit) || reduces(position, after)) return null;
  const mark = own.mid > 0 ? own.mid : (signal.price as number);
  return denial('MAX_GROSS_EXPOSURE_EXCEEDED', {
    limit,
    actual: gross,
    before: others + Math.abs(position) * mark,
  });
}

/** Toward zero without crossing it: a flip opens fresh exposure on the other side. */
function reduces(position: number, after: number): boolean {
  if (position > 0) return after >= 0 && after < position;
  if (position < 0) return after <= 0 && after > position;
  return false;
}

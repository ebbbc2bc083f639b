// Trading windows at gate 2: outside its window (or in its flatten phase) a symbol takes no new
// exposure; orders that reduce it still pass, so a book can always be worked down.

import { signedQuantity, type Signal } from '../../core/types.js';
import { reduces } from './exposure-checks.js';
import { denial, type PreTradeDenialOf } from './pre-trade-codes.js';
import type { SymbolState } from './symbol-state.js';

/**
 * The window's phase is cached until its next boundary: on the accept path this is two compares
 * and a flag. Judged like the position limit, from the worst case of the working orders on the
 * order's side.
 */
export function windowDenial(
  signal: Signal,
  state: SymbolState,
  position: number,
  now: number,
): PreTradeDenialOf | null {
  const window = state.window;
  if (now >= window.changesAt || now < window.validFrom) window.refresh(now);
  if (window.accepting) return null;
  const before =
    signal.side === 'buy' ? position + state.workingBuys : position - state.workingSells;
  if (reduces(before, before + signedQuantity(signal.side, signal.quantity))) return null;
  const { nextOpen } = window.statusAt(now);
  return denial('OUTSIDE_TRADING_WINDOW', {
    symbol: state.symbol,
    window: window.name,
    phase: window.phase,
    timeZone: window.timeZone ?? 'UTC',
    nextOpen: nextOpen === null ? 'none' : new Date(nextOpen).toISOString(),
  });
}

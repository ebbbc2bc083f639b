// Edge check for ticks from any feed: a tick that fails here never reaches the engine.

import type { Tick } from '../../core/types.js';

/**
 * Returns what is wrong with `tick`, or null when it is usable. `knownSymbols`, when given, is
 * the complete list of symbols the feed may carry. Allocates nothing when the tick is valid, so
 * feeds can call it on every tick.
 */
export function validateTick(tick: Tick, knownSymbols?: ReadonlySet<string>): string | null {
  const { symbol, bid, ask, time } = tick;
  if (typeof symbol !== 'string' || symbol.length === 0) return 'symbol is empty';
  if (knownSymbols !== undefined && !knownSymbols.has(symbol)) {
    return `unknown symbol "${symbol}"`;
  }
  if (typeof bid !== 'number' || !Number.isFinite(bid))
    return `bid is not a finite number (${String(bid)})`;
  if (typeof ask !== 'number' || !Number.isFinite(ask))
    return `ask is not a finite number (${String(ask)})`;
  if (bid <= 0) return `bid must be positive (${bid})`;
  if (ask <= 0) return `ask must be positive (${ask})`;
  if (bid > ask) return `crossed quote: bid ${bid} is above ask ${ask}`;
  // Anything before 1970 or not finite is a unit or parsing mistake, not a real quote time.
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) {
    return `time is not a valid epoch-millisecond timestamp (${String(time)})`;
  }
  return validateSize('bidSize', tick.bidSize) ?? validateSize('askSize', tick.askSize);
}

function validateSize(field: string, size: number | undefined): string | null {
  if (size === undefined) return null;
  if (typeof size !== 'number' || !Number.isFinite(size) || size < 0) {
    return `${field} must be a non-negative finite number (${String(size)})`;
  }
  return null;
}

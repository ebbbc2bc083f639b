// How risk code plugs into the engine: pre-trade checks at gate 2, and observers of the tick stream.

import type { LivegateEvent } from '../core/events.js';
import type { Signal, Tick } from '../core/types.js';

/** A denial is data with a stable code and the numbers behind it, never an exception. */
export interface PreTradeDenial {
  readonly code: string;
  readonly details?: Readonly<Record<string, number | string>>;
}

/** Sees every tick before gate 1 (marks, staleness); must be cheap and must not throw. */
export interface TickObserver {
  observeTick(tick: Tick): void;
}

/** Sees every engine event, synchronously and in order (fills, submits, rejects, cancels). */
export interface EventObserver {
  onEvent(event: LivegateEvent): void;
}

/**
 * The pre-trade chain run at gate 2 for every signal the kill switch lets through.
 * `check` returns null to accept; on the accept path it must not allocate.
 */
export interface PreTradeRisk extends TickObserver, EventObserver {
  /** `position` is the signed position in the signal's symbol; `now` is epoch ms. */
  check(signal: Signal, position: number, now: number): PreTradeDenial | null;
}

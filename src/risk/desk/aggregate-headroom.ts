// What the pre-trade chain knows of one desk (or the firm) beyond its own engine: numbers written
// off the hot path by DeskView after each listing of the other engines' reports, read by the
// desk check as plain comparisons.

import type { AggregateLimits } from '../guard/aggregate-limits.js';

/** Why new exposure is refused outright: a loss limit reached, or a figure that cannot be valued. */
export type AggregateBlock = 'dailyLoss' | 'drawdown' | 'unvalued';

/** One symbol's desk position: the rest of the desk's net (last seen) and the desk's limit. */
export class AggregateSymbol {
  /** Σ signed positions of the other engines in this symbol, as last listed. */
  restNet = 0;
  /**
   * The band this engine's worst case after an order may end in: limit ∓ restNet. Inside it the
   * order passes with two comparisons; outside, the check looks closer (float slack, reductions).
   */
  low: number;
  high: number;
  constructor(
    readonly symbol: string,
    /** |desk net| may not exceed this; Infinity without a limit. */
    readonly limit: number,
  ) {
    this.low = -limit;
    this.high = limit;
  }

  /** A new listing's net for the rest of the desk. */
  setRest(restNet: number): void {
    this.restNet = restNet;
    this.low = -this.limit - restNet;
    this.high = this.limit - restNet;
  }
}

export class AggregateHeadroom {
  /** Epoch ms (engine clock) from which the view is too old: new exposure is denied. */
  staleAt = Number.NEGATIVE_INFINITY;
  /** staleAt while nothing blocks, else -Infinity: the accept path's one comparison per scope. */
  acceptsUntil = Number.NEGATIVE_INFINITY;
  /** Epoch ms when the listing behind the view started; NaN before the first. */
  viewedAt = Number.NaN;
  /** Set while rest + own reach a loss limit, or while a figure cannot be valued. */
  blockedBy: AggregateBlock | null = null;
  /** rest + own value and the limit behind blockedBy (the problem's text for 'unvalued'). */
  blockValue = 0;
  blockLimit = 0;
  problem = '';
  /** Σ gross exposure of the other engines (account currency), as last listed. */
  restGross = 0;
  /** The desk's gross-exposure limit minus restGross; Infinity without a limit. */
  grossHeadroom = Number.POSITIVE_INFINITY;
  /** Other engines counted in the view (silent and withdrawn ones at their last report). */
  engines = 0;
  /** The last listing's signed net positions, for a symbol whose slot is made later. */
  restNet: ReadonlyMap<string, number> = new Map();
  private readonly symbols = new Map<string, AggregateSymbol>();

  constructor(
    /** `desk:<name>` or `global` (the firm). */
    readonly scope: string,
    readonly limits: AggregateLimits,
    /** A view older than this (since its listing started) denies new exposure. */
    readonly maxAgeMs: number,
  ) {}

  /** The symbol's slot, made once and updated in place (symbol states keep a reference). */
  symbol(symbol: string): AggregateSymbol {
    let slot = this.symbols.get(symbol);
    if (slot === undefined) {
      const limit =
        this.limits.symbols?.[symbol]?.maxPosition ??
        this.limits.maxPosition ??
        Number.POSITIVE_INFINITY;
      slot = new AggregateSymbol(symbol, limit);
      slot.setRest(this.restNet.get(symbol) ?? 0);
      this.symbols.set(symbol, slot);
    }
    return slot;
  }

  /** Call after changing staleAt or blockedBy. */
  settle(): void {
    this.acceptsUntil = this.blockedBy === null ? this.staleAt : Number.NEGATIVE_INFINITY;
  }

  /** Every slot made so far (symbols the engine has seen). */
  slots(): IterableIterator<AggregateSymbol> {
    return this.symbols.values();
  }
}

/** The scopes an engine checks its orders against: its desk's and the firm's, when limited. */
export class AggregateHeadrooms {
  /** Some scope limits gross exposure: the chain then sums its own even without an engine limit. */
  readonly grossLimited: boolean;

  constructor(readonly scopes: readonly AggregateHeadroom[]) {
    this.grossLimited = scopes.some((scope) => scope.limits.grossExposure !== undefined);
  }

  /** One slot per scope, in scope order, for a symbol state to hold. */
  slotsFor(symbol: string): AggregateSymbol[] {
    return this.scopes.map((scope) => scope.symbol(symbol));
  }
}

/** Shared by symbol states when no desk or firm limit applies: the check loops over nothing. */
export const NO_AGGREGATE_SLOTS: readonly AggregateSymbol[] = Object.freeze([]);

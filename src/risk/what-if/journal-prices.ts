// The prices a what-if replay can know: a journal holds no ticks, only what orders, fills, denials
// and recorded risk states say about the market. This finds, for each order and fill, the best of
// those (docs/risk.md, "What-if").

import type { LivegateEvent } from '../../core/events.js';

type JournalEntry = LivegateEvent;

/** Where a reference price came from, best first. */
export type PriceSource = 'mark' | 'fill' | 'denial' | 'limit';

export interface KnownPrice {
  readonly price: number;
  readonly source: PriceSource;
}

/** A state recorded within this many entries of a fill, before the next order, is the one it caused. */
const RECORD_LOOKAHEAD = 4;

/**
 * Price hints by journal index. `forOrder` is the mid the order was judged against as far as the
 * journal can tell: the mark recorded right after its own fill (the true mid of that tick), else
 * its fill price, else a price its denial carried, else its limit price.
 */
export class JournalPrices {
  private readonly byOrder = new Map<string, KnownPrice>();
  private readonly afterFill = new Map<number, KnownPrice>();

  constructor(entries: readonly JournalEntry[]) {
    entries.forEach((entry, index) => {
      if (entry.type !== 'OrderFilled') return;
      const { fill } = entry;
      const mark = markRecordedAfter(entries, index, fill.symbol);
      const known: KnownPrice =
        mark === undefined
          ? { price: fill.price, source: 'fill' }
          : { price: mark, source: 'mark' };
      this.afterFill.set(index, known);
      if (!this.byOrder.has(fill.orderId)) this.byOrder.set(fill.orderId, known);
    });
  }

  /** The mark a fill at `index` should be valued at (the recorded mid, else its own price). */
  forFill(index: number): KnownPrice | undefined {
    return this.afterFill.get(index);
  }

  /** The reference price for an order attempt at `index` (OrderSubmitted or OrderDenied). */
  forOrder(entry: JournalEntry): KnownPrice | undefined {
    if (entry.type === 'OrderSubmitted') {
      const filled = this.byOrder.get(entry.order.id);
      if (filled !== undefined) return filled;
      return positive(entry.order.price, 'limit');
    }
    if (entry.type === 'OrderDenied') {
      // The chain's own figures: `referencePrice` is the mid (collar), `price` the mid of a market order.
      const details = entry.details ?? {};
      const fromDenial =
        positive(details.referencePrice, 'denial') ??
        (entry.price === undefined ? positive(details.price, 'denial') : undefined);
      return fromDenial ?? positive(entry.price, 'limit');
    }
    return undefined;
  }
}

/** Marks of every held position in a recorded state or a heartbeat's risk snapshot. */
export function recordedMarks(entry: JournalEntry): ReadonlyMap<string, number> {
  const marks = new Map<string, number>();
  const positions =
    entry.type === 'RiskStateRecorded' || entry.type === 'RiskStateRestored'
      ? entry.state.positions
      : entry.type === 'Heartbeat'
        ? (entry.report.risk?.positions ?? [])
        : [];
  for (const { symbol, markPrice } of positions) {
    if (markPrice > 0 && Number.isFinite(markPrice)) marks.set(symbol, markPrice);
  }
  return marks;
}

function markRecordedAfter(
  entries: readonly JournalEntry[],
  index: number,
  symbol: string,
): number | undefined {
  for (let next = index + 1; next <= index + RECORD_LOOKAHEAD; next++) {
    const entry = entries[next];
    if (entry === undefined) return undefined;
    if (entry.type === 'RiskStateRecorded') return recordedMarks(entry).get(symbol);
    // Another order or fill: the state after this fill was not recorded (no monitor then).
    if (entry.type === 'OrderFilled' || entry.type === 'OrderSubmitted') return undefined;
  }
  return undefined;
}

function positive(value: unknown, source: PriceSource): KnownPrice | undefined {
  return typeof value === 'number' && value > 0 && Number.isFinite(value)
    ? { price: value, source }
    : undefined;
}

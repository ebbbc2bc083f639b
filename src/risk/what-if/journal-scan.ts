// A what-if replay's first pass over a journal: what it spans, and the prices it can know. A journal
// holds no ticks, only what orders, fills, denials and recorded risk states say about the market;
// this finds, for each order and fill, the best of those (docs/risk.md, "What-if"). One entry at a
// time, so a journal too big for memory costs a map of its fills, not its entries.

import type { LivegateEvent } from '../../core/events.js';

/** Where a reference price came from, best first. */
export type PriceSource = 'mark' | 'fill' | 'denial' | 'limit';

export interface KnownPrice {
  readonly price: number;
  readonly source: PriceSource;
}

/** A state recorded within this many entries of a fill, before the next order, is the one it caused. */
const RECORD_LOOKAHEAD = 4;

interface PendingFill {
  readonly index: number;
  readonly symbol: string;
  readonly orderId: string;
  readonly price: number;
  readonly until: number;
}

export class JournalScan {
  /** Entries scanned: the replay stops there, even if a running engine has appended more since. */
  count = 0;
  firstTime: number | null = null;
  lastTime: number | null = null;
  engineId: string | null = null;
  /** Every symbol an order was sent or denied in. */
  readonly symbols = new Set<string>();
  private readonly byOrder = new Map<string, KnownPrice>();
  private readonly afterFill = new Map<number, KnownPrice>();
  private pending: PendingFill | undefined;

  static async of(
    entries: AsyncIterable<LivegateEvent> | Iterable<LivegateEvent>,
  ): Promise<JournalScan> {
    const scan = new JournalScan();
    for await (const entry of entries) scan.add(entry);
    scan.settle(undefined);
    return scan;
  }

  /** The mark a fill at `index` should be valued at (the recorded mid, else its own price). */
  forFill(index: number): KnownPrice | undefined {
    return this.afterFill.get(index);
  }

  /**
   * The mid an order attempt was judged against as far as the journal can tell: the mark recorded
   * right after its own fill (the true mid of that tick), else its fill price, else a price its
   * denial carried, else its limit price.
   */
  forOrder(entry: LivegateEvent): KnownPrice | undefined {
    if (entry.type === 'OrderSubmitted') {
      return this.byOrder.get(entry.order.id) ?? positive(entry.order.price, 'limit');
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

  private add(entry: LivegateEvent): void {
    const index = this.count++;
    this.firstTime ??= entry.time;
    this.lastTime = entry.time;
    this.engineId ??= entry.engineId;
    if (this.pending !== undefined) {
      if (entry.type === 'RiskStateRecorded')
        this.settle(recordedMarks(entry).get(this.pending.symbol));
      // Another order or fill, or too far: the state after that fill was not recorded (no monitor then).
      else if (
        entry.type === 'OrderFilled' ||
        entry.type === 'OrderSubmitted' ||
        index > this.pending.until
      ) {
        this.settle(undefined);
      }
    }
    if (entry.type === 'OrderSubmitted') this.symbols.add(entry.order.symbol);
    else if (entry.type === 'OrderDenied') this.symbols.add(entry.symbol);
    else if (entry.type === 'OrderFilled') {
      const { fill } = entry;
      this.pending = {
        index,
        symbol: fill.symbol,
        orderId: fill.orderId,
        price: fill.price,
        until: index + RECORD_LOOKAHEAD,
      };
    }
  }

  private settle(mark: number | undefined): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    const known: KnownPrice =
      mark === undefined
        ? { price: pending.price, source: 'fill' }
        : { price: mark, source: 'mark' };
    this.afterFill.set(pending.index, known);
    if (!this.byOrder.has(pending.orderId)) this.byOrder.set(pending.orderId, known);
  }
}

/** Marks of every held position in a recorded or restored state, or a heartbeat's risk snapshot. */
export function recordedMarks(entry: LivegateEvent): ReadonlyMap<string, number> {
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

function positive(value: unknown, source: PriceSource): KnownPrice | undefined {
  return typeof value === 'number' && value > 0 && Number.isFinite(value)
    ? { price: value, source }
    : undefined;
}

// Ticks waiting for a slow consumer: bounded per symbol, oldest of a symbol dropped first, read back
// in arrival order. A busy symbol can only push out its own history, never a quiet symbol's last quote.

import type { Tick } from '../../core/types.js';

/** One symbol's ticks in a ring, each stamped with its arrival number for the merge. */
class SymbolRing {
  private readonly ticks: (Tick | undefined)[];
  private readonly arrivals: Float64Array;
  private head = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.ticks = new Array<Tick | undefined>(capacity).fill(undefined);
    this.arrivals = new Float64Array(capacity);
  }

  /** Adds a tick; returns true when the oldest had to make room. */
  push(tick: Tick, arrival: number): boolean {
    const full = this.size === this.capacity;
    if (full) this.shift();
    const slot = (this.head + this.size) % this.capacity;
    this.ticks[slot] = tick;
    this.arrivals[slot] = arrival;
    this.size += 1;
    return full;
  }

  /** Arrival number of the oldest tick (Infinity when empty). */
  headArrival(): number {
    return this.size === 0 ? Infinity : (this.arrivals[this.head] as number);
  }

  shift(): Tick {
    const tick = this.ticks[this.head] as Tick;
    this.ticks[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size -= 1;
    return tick;
  }

  clear(): void {
    this.ticks.fill(undefined);
    this.head = 0;
    this.size = 0;
  }
}

export class TickBuffer {
  private readonly rings = new Map<string, SymbolRing>();
  /** The same rings as a list: the merge scans it, and it is short (one per subscribed symbol). */
  private readonly ringList: SymbolRing[] = [];
  private nextArrival = 0;
  private buffered = 0;
  private droppedTicks = 0;

  /** `perSymbol`: how many ticks of one symbol are kept at most. */
  constructor(private readonly perSymbol: number) {}

  get size(): number {
    return this.buffered;
  }

  /** Ticks pushed out to make room, since construction. */
  get dropped(): number {
    return this.droppedTicks;
  }

  push(tick: Tick): void {
    let ring = this.rings.get(tick.symbol);
    if (ring === undefined) {
      ring = new SymbolRing(this.perSymbol);
      this.rings.set(tick.symbol, ring);
      this.ringList.push(ring);
    }
    if (ring.push(tick, this.nextArrival++)) this.droppedTicks += 1;
    else this.buffered += 1;
  }

  /** Removes up to `limit` ticks, oldest arrival first. */
  take(limit: number): Tick[] {
    const count = Math.min(limit, this.buffered);
    const taken = new Array<Tick>(count);
    const single = this.ringList.length === 1 ? this.ringList[0] : undefined;
    for (let index = 0; index < count; index += 1) {
      taken[index] = (single ?? this.oldestRing()).shift();
    }
    this.buffered -= count;
    return taken;
  }

  clear(): void {
    for (const ring of this.ringList) ring.clear();
    this.buffered = 0;
  }

  private oldestRing(): SymbolRing {
    let oldest = this.ringList[0] as SymbolRing;
    for (const ring of this.ringList) {
      if (ring.headArrival() < oldest.headArrival()) oldest = ring;
    }
    return oldest;
  }
}

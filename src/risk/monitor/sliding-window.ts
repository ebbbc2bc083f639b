// Timestamps (with an optional value each) over a sliding time window, in ring buffers that only grow.

const INITIAL_CAPACITY = 64;

/**
 * Preallocated typed arrays instead of arrays of objects: after the buffers have grown to the
 * busiest window seen, push and count allocate nothing.
 */
export class SlidingWindow {
  private times = new Float64Array(INITIAL_CAPACITY);
  private values = new Float64Array(INITIAL_CAPACITY);
  /** Index of the oldest sample. */
  private head = 0;
  private size = 0;

  constructor(readonly windowMs: number) {}

  /** `time` in ms, never earlier than the previous push (a monotonic clock). */
  push(time: number, value = 0): void {
    if (this.size === this.times.length) this.grow();
    const index = (this.head + this.size) % this.times.length;
    this.times[index] = time;
    this.values[index] = value;
    this.size++;
  }

  /** Drops samples at least `windowMs` old and returns how many remain. */
  count(now: number): number {
    const cutoff = now - this.windowMs;
    const capacity = this.times.length;
    while (this.size > 0 && this.times[this.head]! <= cutoff) {
      this.head = (this.head + 1) % capacity;
      this.size--;
    }
    return this.size;
  }

  /** Copies the values of the samples still in the window, oldest first, into `into` (which must fit). */
  copyValues(now: number, into: Float64Array): number {
    const size = this.count(now);
    const capacity = this.values.length;
    for (let offset = 0; offset < size; offset++) {
      into[offset] = this.values[(this.head + offset) % capacity]!;
    }
    return size;
  }

  private grow(): void {
    const capacity = this.times.length;
    const times = new Float64Array(capacity * 2);
    const values = new Float64Array(capacity * 2);
    for (let offset = 0; offset < this.size; offset++) {
      const from = (this.head + offset) % capacity;
      times[offset] = this.times[from]!;
      values[offset] = this.values[from]!;
    }
    this.times = times;
    this.values = values;
    this.head = 0;
  }
}

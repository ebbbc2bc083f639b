// Checks that a gateway's `seq` runs 1, 2, 3... on a connection, and says how far it strayed.

export class InboundSequence {
  private expected = 1;
  private unreadable = 0;

  /** A new connection starts at 1 again. */
  reset(): void {
    this.expected = 1;
    this.unreadable = 0;
  }

  /** A frame arrived whose number could not be read (not JSON): it probably used one up. */
  unreadableFrame(): void {
    this.unreadable += 1;
  }

  /** Null when `seq` is in step (or its gap is explained by unreadable frames), else the problem. */
  check(seq: number): string | null {
    const expected = this.expected;
    const unreadable = this.unreadable;
    this.unreadable = 0;
    if (seq === expected) {
      this.expected = seq + 1;
      return null;
    }
    // An old number does not move the expectation back, or the next good frame would look like a gap.
    if (seq < expected) return `seq went backwards: expected ${expected}, got ${seq}`;
    this.expected = seq + 1;
    const missing = seq - expected - unreadable;
    return missing > 0 ? `expected seq ${expected}, got ${seq}: ${missing} frame(s) missing` : null;
  }
}

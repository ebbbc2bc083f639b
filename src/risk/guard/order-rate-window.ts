// Orders per second across several engines, from the cumulative counters in their reports: the
// difference over a window of the guard's own clock (reports arrive once per heartbeat, so a
// window of several heartbeats smooths their steps).

export class OrderRateWindow {
  private readonly samples: { at: number; total: number }[] = [];

  constructor(private readonly windowMs: number) {}

  /** Records the total at `now` (ms, monotonic); the rate over the last window, or null until one has passed. */
  rate(now: number, total: number): number | null {
    this.samples.push({ at: now, total });
    // Keep the newest sample at or before the window's start: the rate spans the whole window.
    while (this.samples.length >= 2 && this.samples[1]!.at <= now - this.windowMs)
      this.samples.shift();
    const oldest = this.samples[0]!;
    const elapsedMs = now - oldest.at;
    if (elapsedMs < this.windowMs) return null;
    return (total - oldest.total) / (elapsedMs / 1_000);
  }
}

// Which trading day an instant belongs to: days start at `startHour` o'clock in `timeZone`
// (00:00 UTC by default; 17:00 America/New_York for an FX desk), daylight saving included.

/** Every zone's offset is a multiple of 15 minutes, so a local hour starts on a UTC quarter hour. */
const QUARTER_HOUR_MS = 900_000;

export interface TradingDayOptions {
  /** IANA name (`UTC`, `Europe/London`, `America/New_York`). */
  readonly timeZone: string;
  /** 0-23: the local hour a trading day starts. */
  readonly startHour: number;
}

export class TradingDay {
  private readonly format: Intl.DateTimeFormat;
  private readonly startHour: number;
  private cachedKey = '';
  private cachedFrom = Number.POSITIVE_INFINITY;
  private cachedUntil = Number.NEGATIVE_INFINITY;

  /** Throws a RangeError naming the zone when it is not one Intl knows. */
  constructor(options: TradingDayOptions) {
    this.format = new Intl.DateTimeFormat('en-CA', {
      timeZone: options.timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
    });
    this.startHour = options.startHour;
  }

  /**
   * `YYYY-MM-DD` of the local date on which the instant's trading day started. Cached per UTC
   * quarter hour: the monitor asks on every evaluation, and the answer can only change on one.
   */
  keyAt(epochMs: number): string {
    if (epochMs >= this.cachedFrom && epochMs < this.cachedUntil) return this.cachedKey;
    const from = Math.floor(epochMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
    this.cachedFrom = from;
    this.cachedUntil = from + QUARTER_HOUR_MS;
    this.cachedKey = this.compute(from);
    return this.cachedKey;
  }

  private compute(epochMs: number): string {
    const parts: Record<string, string> = {};
    for (const part of this.format.formatToParts(epochMs)) parts[part.type] = part.value;
    const date = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day));
    // Before the start hour, the instant still belongs to the day that started yesterday.
    const day = Number(parts.hour) < this.startHour ? date - 86_400_000 : date;
    return new Date(day).toISOString().slice(0, 10);
  }
}

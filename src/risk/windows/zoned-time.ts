// Wall-clock time in an IANA zone and back, with Intl only: what the trading windows compute their
// boundaries with. Not for the hot path (each call formats a date).

const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/**
 * A "wall" value is the local date and time of a zone written as if it were UTC epoch ms
 * (`Date.UTC(year, month, day, hour, minute)`), so local dates and times are plain arithmetic.
 */
export class ZonedTime {
  private readonly format: Intl.DateTimeFormat;

  /** Throws a RangeError when Intl does not know the zone. */
  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The zone's local date and time at an instant, to the second, as a wall value. */
  wall(epochMs: number): number {
    const parts: Record<string, number> = {};
    for (const part of this.format.formatToParts(epochMs)) {
      if (part.type !== 'literal') parts[part.type] = Number(part.value);
    }
    return Date.UTC(
      parts.year!,
      parts.month! - 1,
      parts.day,
      parts.hour,
      parts.minute,
      parts.second,
    );
  }

  /** Local minus UTC at an instant, ms (−5 h in New York in winter). */
  offset(epochMs: number): number {
    const second = Math.floor(epochMs / 1000) * 1000;
    return this.wall(second) - second;
  }

  /**
   * The instant a local wall time happens. A time skipped by a clock change (02:30 on the day New
   * York springs forward) is moved forward by the gap (03:30 EDT); a time that happens twice (01:30
   * on the day it falls back) is the first one. Temporal calls this `compatible`.
   */
  instant(wall: number): number {
    const first = this.offset(wall);
    const guess = wall - first;
    const second = this.offset(guess);
    if (second === first) return guess;
    const retry = wall - second;
    const third = this.offset(retry);
    if (third === second) return retry;
    return wall - Math.min(second, third);
  }
}

/** "HH:MM" or "HH:MM:SS" (24:00 allowed) as ms after local midnight. */
export function timeOfDayMs(time: string): number {
  const [hours = 0, minutes = 0, seconds = 0] = time.split(':').map(Number);
  return ((hours * 60 + minutes) * 60 + seconds) * 1000;
}

export function minutesToMs(minutes: number): number {
  return minutes * MINUTE_MS;
}

// IANA time zones as Intl knows them: one check for every config key that names a zone.

/** True when Intl accepts the name (`UTC`, `Europe/London`, `America/New_York`). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

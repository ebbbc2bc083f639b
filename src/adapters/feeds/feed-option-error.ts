// One shape for a feed's bad-option error, so every feed names the option and the value alike.

import { LivegateError } from '../../core/errors.js';

export function feedOptionError(
  feed: string,
  option: string,
  problem: string,
  value?: unknown,
): LivegateError {
  const shown = value === undefined ? '' : ` (got ${describeValue(value)})`;
  return new LivegateError('ERR_USAGE', `${feed}: option "${option}" ${problem}${shown}`, {
    details: { option },
  });
}

function describeValue(value: unknown): string {
  // JSON would print NaN and Infinity as null, which hides exactly the mistake being reported.
  if (typeof value === 'number') return String(value);
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

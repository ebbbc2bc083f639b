// zod pieces of the stores' options (Redis, NATS, memory): a clock, and one error for bad options.
import * as z from 'zod';
import type { Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import { describeSchemaProblems } from './kill-switch-record-schema.js';

/** Accepts anything shaped like a Clock (a ManualClock, a fake), not only the system clock. */
export const clockOptionSchema = z.custom<Clock>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<Clock>).now === 'function' &&
    typeof (value as Partial<Clock>).monotonic === 'function',
  { message: 'expected a Clock with now() and monotonic()' },
);

/** Options errors name every problem at once, as the config loader does. */
export function invalidOptions(storeName: string, error: z.ZodError): LivegateError {
  return new LivegateError(
    'ERR_CONFIG_INVALID',
    `Invalid ${storeName} options: ${describeSchemaProblems(error)}`,
    { cause: error },
  );
}

// The options both streaming sinks (Kafka, NATS) share, and one error naming every bad one.

import * as z from 'zod';
import { LivegateError } from '../../core/errors.js';

/** The options both streaming sinks share, validated by each sink's schema. */
export const queueOptionsShape = {
  runId: z.string().min(1),
  maxQueued: z.int().min(1).default(10_000),
  maxBatch: z.int().min(1).default(500),
  flushTimeoutMs: z.int().min(1).default(10_000),
  onError: z.custom<(error: LivegateError) => void>((value) => typeof value === 'function', {
    message: 'expected a function',
  }),
};

export function invalidSinkOptions(sinkName: string, error: z.ZodError): LivegateError {
  const problems = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${[...issue.path, key].join('.')}: unknown option`)
      : [`${issue.path.length > 0 ? issue.path.join('.') : '(options)'}: ${issue.message}`],
  );
  const message = `Invalid ${sinkName} options: ${problems.join('; ')}`;
  return new LivegateError('ERR_CONFIG_INVALID', message, { cause: error, details: { problems } });
}

// `kill`, `reduce` or `reset` whose write the Redis primary took but too few replicas acknowledged:
// in force now, yet a failover could lose it. Said plainly, exit 1; no retry (it would write a
// second revision) and no same-host signals (the change is in the store, engines read it there).

import type { LivegateError } from '../core/errors.js';
import { EXIT_FAILURE } from './exit-codes.js';

export function reportPrimaryOnly(
  kind: 'kill' | 'reduce' | 'reset',
  storeName: string,
  scope: string,
  error: LivegateError,
  json: boolean,
): number {
  const details = error.details ?? {};
  if (json) {
    const output = {
      ok: false,
      path: 'store',
      store: storeName,
      scope,
      durable: false,
      onPrimary: true,
      revision: details['revision'],
      replicasAcknowledged: details['replicasAcknowledged'],
      replicasRequired: details['replicasRequired'],
      error: `${error.code}: ${error.message}`,
    };
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  }
  process.stderr.write(
    [
      `livegate: ${error.code}: ${error.message}`,
      `livegate: the ${kind} is on the primary of ${storeName} and engines reading it obey it, but it is NOT replica-durable:`,
      'livegate: if the primary fails before a replica copies it, the new primary will not have it.',
      'livegate: restore the replicas (see `INFO replication`), then check `livegate status`.',
      '',
    ].join('\n'),
  );
  return EXIT_FAILURE;
}

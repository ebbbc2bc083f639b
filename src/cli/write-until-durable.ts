// `kill`, `reduce` and `reset` do not give up on the first failed write: a store electing a leader
// or reconnecting answers again within seconds. They retry until the change is durable or their
// deadline, and never write the same change twice.

import os from 'node:os';
import type { KillSwitchRecord } from '../core/kill-switch-record.js';
import type { KillSwitchStore, KillSwitchUpdateResult } from '../core/ports.js';
import { isTransientStoreFailure } from '../killswitch/confirmations.js';
import type { Decision } from '../killswitch/transitions.js';

export interface WriteUntilDurableOptions {
  /** performance.now() after which the last failure is final. */
  readonly deadline: number;
  readonly retryEveryMs?: number;
  /** Who the change is recorded as, and why: with this process's host and pid, it names our write. */
  readonly by: string;
  readonly reason: string;
  /** Called before each retry with what failed (the CLI prints what it is waiting for). */
  readonly onRetry?: (error: unknown, remainingMs: number) => void;
}

/** Our own record: stamped by this process, with our name and reason (a write that was applied but whose acknowledgement was lost). */
function isOurs(record: KillSwitchRecord | null, options: WriteUntilDurableOptions): boolean {
  return (
    record !== null &&
    record.pid === process.pid &&
    record.host === os.hostname() &&
    record.by === options.by &&
    record.reason === options.reason
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function writeUntilDurable(
  store: KillSwitchStore,
  decision: Decision,
  options: WriteUntilDurableOptions,
): Promise<KillSwitchUpdateResult> {
  const retryEveryMs = options.retryEveryMs ?? 250;
  let attempted = false;
  for (;;) {
    if (attempted) {
      // The last attempt may have been applied with its answer lost: then it is done.
      const head = await store.read().catch(() => undefined);
      if (head !== undefined && head !== null && isOurs(head, options)) {
        return { record: head, changed: true };
      }
    }
    attempted = true;
    try {
      return await store.update(decision);
    } catch (error) {
      const remainingMs = options.deadline - performance.now();
      if (!isTransientStoreFailure(error) || remainingMs <= 0) throw error;
      options.onRetry?.(error, remainingMs);
      await sleep(Math.min(retryEveryMs, remainingMs));
    }
  }
}

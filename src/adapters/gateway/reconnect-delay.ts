// Exponential backoff with full jitter: many clients of one restarted gateway spread out instead of
// reconnecting in lockstep.

/**
 * The wait before reconnect attempt `attempt` (0 for the first after a loss): uniformly random
 * between 0 and min(maxDelayMs, initialDelayMs * 2^attempt), never below 1 ms.
 */
export function reconnectDelay(
  attempt: number,
  settings: { readonly initialDelayMs: number; readonly maxDelayMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    settings.maxDelayMs,
    settings.initialDelayMs * 2 ** Math.min(attempt, 30),
  );
  return Math.max(1, Math.floor(random() * ceiling));
}

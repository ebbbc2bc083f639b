// One deadline for a promise that may never settle (a silent server, a hung venue call).

export interface SettleBeforeOptions {
  /**
   * A timer that fires later than half its window past due means this process was blocked (a
   * long GC, a module load, a strategy hogging the loop), not that the other side was silent: the
   * work gets its whole window again, once. For work of several steps (a NATS KV read, open +
   * stat + read of a file), each of which needs a turn of the loop that the stall took away.
   */
  readonly windowAgainAfterStall?: boolean;
}

/**
 * The promise's outcome, or `timedOut()` at the deadline (the late outcome is then ignored). The
 * verdict waits one I/O round past the timer (setImmediate runs after the poll phase): after a
 * process stall Node runs due timers before reading sockets, and a reply that arrived meanwhile
 * is an answer, not a timeout.
 */
export function settleBefore<T>(
  promise: Promise<T>,
  deadline: number,
  timedOut: () => Error,
  { windowAgainAfterStall = false }: SettleBeforeOptions = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const windowMs = Math.max(0, deadline - performance.now());
    let armedAt = performance.now();
    let stallForgiven = !windowAgainAfterStall;
    const expire = () => {
      const lateMs = performance.now() - armedAt - windowMs;
      if (!stallForgiven && lateMs > windowMs / 2) {
        stallForgiven = true;
        armedAt = performance.now();
        timer = setTimeout(expire, windowMs);
        return;
      }
      setImmediate(() => {
        if (!settled) reject(timedOut());
      });
    };
    let timer = setTimeout(expire, windowMs);
    promise.then(
      (value) => {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        settled = true;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

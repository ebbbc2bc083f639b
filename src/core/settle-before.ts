// One deadline for a promise that may never settle (a silent server, a hung venue call).

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
): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (!settled) reject(timedOut());
        }),
      Math.max(0, deadline - performance.now()),
    );
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

// Calls every listener with one value; a throwing listener is reported and never stops the others
// (nor the state change that called them: the gates and the write come first).

export function notifyEach<T>(
  listeners: Iterable<(value: T) => void>,
  value: T,
  failed: (error: unknown) => void,
): void {
  for (const listener of listeners) {
    try {
      listener(value);
    } catch (error) {
      try {
        failed(error);
      } catch {
        // The reporter itself failed: nothing more can be done without risking the change.
      }
    }
  }
}

// Paced feeds sleep between ticks; close() must wake every sleeper at once so a stop is immediate.

export class InterruptibleSleep {
  private readonly sleepers = new Set<() => void>();

  /** Resolves after the delay (at least 1 ms), or as soon as wakeAll() is called. */
  sleep(milliseconds: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(1, Math.ceil(milliseconds)));
      this.sleepers.add(wake);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}

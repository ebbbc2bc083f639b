// An EventSink that keeps every event in memory, so tests and drills can assert on what the engine said.

import type { LivegateEvent, LivegateEventType } from '../../core/events.js';
import type { EventSink } from '../../core/ports.js';

export class MemoryEventSink implements EventSink {
  readonly name = 'memory';
  readonly events: LivegateEvent[] = [];
  private closedFlag = false;

  write(event: LivegateEvent): void {
    this.events.push(event);
  }

  ofType<T extends LivegateEventType>(type: T): Array<Extract<LivegateEvent, { type: T }>> {
    return this.events.filter(
      (event): event is Extract<LivegateEvent, { type: T }> => event.type === type,
    );
  }

  /** Forget what was recorded so far (between drill phases). */
  clear(): void {
    this.events.length = 0;
  }

  /** Lets a test check the engine closed its sink on shutdown. */
  get closed(): boolean {
    return this.closedFlag;
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closedFlag = true;
    return Promise.resolve();
  }
}

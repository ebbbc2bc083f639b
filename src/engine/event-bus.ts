// Fans engine events out to sinks and listeners; a throwing listener is reported, never fatal to the loop.

import type { LivegateEvent } from '../core/events.js';
import type { EventSink } from '../core/ports.js';

export class EventBus {
  private readonly listeners = new Set<(event: LivegateEvent) => void>();
  /** Writes a sink threw on (each isolated). */
  sinkFailures = 0;

  constructor(private readonly sinks: readonly EventSink[]) {}

  subscribe(listener: (event: LivegateEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: LivegateEvent): void {
    for (let index = 0; index < this.sinks.length; index++) {
      // A sink must not throw (it buffers); one that does must not stop a gate or a kill-switch change.
      try {
        this.sinks[index]!.write(event);
      } catch (error) {
        this.sinkFailures++;
        process.emitWarning(
          `livegate event sink ${this.sinks[index]!.name} threw: ${String(error)}`,
        );
      }
    }
    if (this.listeners.size === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A listener bug must not stop the loop or skip a gate; it is still made visible.
        process.emitWarning(`livegate event listener threw on ${event.type}: ${String(error)}`);
      }
    }
  }

  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => sink.flush()));
  }
}

// Fans engine events out to sinks and listeners; a throwing listener is reported, never fatal to the loop.

import type { LivegateEvent } from '../core/events.js';
import type { EventSink } from '../core/ports.js';

export class EventBus {
  private readonly listeners = new Set<(event: LivegateEvent) => void>();
  /** Writes a sink threw on (each isolated). */
  sinkFailures = 0;
  private delivering = false;
  /** Emitted while another event was being delivered; reused, so the hot path allocates nothing. */
  private readonly queued: LivegateEvent[] = [];

  constructor(private readonly sinks: readonly EventSink[]) {}

  subscribe(listener: (event: LivegateEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * An event emitted during another's delivery (a journal that fails on an OrderSubmitted, a risk
   * rule that trips on a fill) is delivered right after it, so every sink and listener sees a
   * cause before its effects: never a KillSwitchChanged before the order that was already sent.
   */
  emit(event: LivegateEvent): void {
    if (this.delivering) {
      this.queued.push(event);
      return;
    }
    this.delivering = true;
    try {
      this.deliver(event);
      for (let index = 0; index < this.queued.length; index++) this.deliver(this.queued[index]!);
    } finally {
      this.queued.length = 0;
      this.delivering = false;
    }
  }

  private deliver(event: LivegateEvent): void {
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

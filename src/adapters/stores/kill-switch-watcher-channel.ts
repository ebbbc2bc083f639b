// Delivery rules every store applies to one watcher: only newer records, errors edge-triggered.
import type { LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import type { KillSwitchWatcher } from '../../core/ports.js';

export class KillSwitchWatcherChannel {
  private lastDeliveredRevision = 0;
  private failing = false;
  private stopped = false;

  constructor(private readonly watcher: KillSwitchWatcher) {}

  /** A successful read: re-arms onError, and delivers the record if it is newer than any before. */
  succeeded(record: KillSwitchRecord | null): void {
    if (this.stopped) return;
    this.failing = false;
    if (record === null || record.revision <= this.lastDeliveredRevision) return;
    this.lastDeliveredRevision = record.revision;
    this.call(() => this.watcher.onRecord(record));
  }

  /** A failed read: tells the watcher once per run of failures, so it is not flooded every poll. */
  failed(error: LivegateError): void {
    if (this.stopped || this.failing) return;
    this.failing = true;
    this.call(() => this.watcher.onError(error));
  }

  stop(): void {
    this.stopped = true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  // A throwing watcher must not undo a write that is already durable (update would reject) nor
  // kill the poll loop; rethrowing outside our stack keeps the bug loud as an uncaught exception.
  private call(deliver: () => void): void {
    try {
      deliver();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

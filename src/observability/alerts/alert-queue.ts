// The notifier's bounded queue: alerts leave in arrival order, and when it is full the oldest alert
// that does not report an engaged switch is the one dropped.

import { isEngagedAlert, type AlertPayload } from './alert-payload.js';

export interface QueuedAlert {
  readonly sequence: number;
  readonly payload: AlertPayload;
}

/** Two FIFOs merged by arrival order, so "drop the oldest non-ENGAGED alert" is O(1). */
export class AlertQueue {
  private readonly engaged: QueuedAlert[] = [];
  private readonly others: QueuedAlert[] = [];
  private nextSequence = 0;

  get size(): number {
    return this.engaged.length + this.others.length;
  }

  /** Queues the payload; returns the alert evicted to stay within `limit`, if any. */
  push(payload: AlertPayload, limit: number): QueuedAlert | undefined {
    const alert = { sequence: this.nextSequence++, payload };
    (isEngagedAlert(payload) ? this.engaged : this.others).push(alert);
    if (this.size <= limit) return undefined;
    return this.others.length > 0 ? this.others.shift() : this.engaged.shift();
  }

  shift(): QueuedAlert | undefined {
    const engaged = this.engaged[0];
    const other = this.others[0];
    if (engaged === undefined) return this.others.shift();
    if (other === undefined || engaged.sequence < other.sequence) return this.engaged.shift();
    return this.others.shift();
  }
}

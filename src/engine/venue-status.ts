// What an operator needs to know about the venue at a glance, kept from VenueReported events and
// ticks, published with every heartbeat (EngineReport.stats) and shown by `livegate status`.

import type { LivegateEvent } from '../core/events.js';

export class VenueStatus {
  private feed = '';
  private broker = '';
  private reconciliation = '';
  private deadMan = '';

  onEvent(event: LivegateEvent): void {
    if (event.type !== 'VenueReported') return;
    switch (event.kind) {
      case 'connected':
      case 'disconnected':
      case 'stale':
        if (event.source === 'feed') this.feed = `${event.kind} (${event.venue})`;
        else this.broker = `${event.kind} (${event.venue})`;
        return;
      case 'reconciliation-mismatch':
        this.reconciliation = `mismatch at ${new Date(event.time).toISOString()}: ${event.detail}`;
        return;
      case 'dead-man-armed':
      case 'dead-man-failed':
        this.deadMan = `${event.kind} at ${new Date(event.time).toISOString()}: ${event.detail}`;
        return;
      case 'sequence-gap':
      case 'malformed-message':
      case 'connection-refused':
        return;
    }
  }

  /** False once a venue broker has reported its connection lost (until it reports it back). */
  brokerReachable(): boolean {
    return !this.broker.startsWith('disconnected');
  }

  reconciled(): void {
    this.reconciliation = `matched at ${new Date().toISOString()}`;
  }

  /** Only what is known: a paper run adds nothing. */
  stats(
    lastTickAgeMs: number | null,
    brokerLastMessageAt: number | undefined,
  ): Record<string, string | number> {
    const stats: Record<string, string | number> = {};
    if (brokerLastMessageAt !== undefined) {
      stats.venueBrokerLastMessageAgeMs = Math.max(0, Math.round(Date.now() - brokerLastMessageAt));
    }
    if (this.feed !== '') stats.venueFeed = this.feed;
    if (this.broker !== '') stats.venueBroker = this.broker;
    if (this.reconciliation !== '') stats.venueReconciliation = this.reconciliation;
    if (this.deadMan !== '') stats.venueDeadMan = this.deadMan;
    if (lastTickAgeMs !== null) stats.lastTickAgeMs = Math.round(lastTickAgeMs);
    return stats;
  }
}

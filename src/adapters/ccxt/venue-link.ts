// Connectivity as the risk monitor sees it: one `disconnected` per failure streak, one
// `connected` when the next call succeeds, never a repeat of the state already reported.

import type { VenueReport } from '../../core/ports.js';

export class VenueLink {
  private state: 'unknown' | 'connected' | 'disconnected' = 'unknown';
  private failures = 0;
  /** Epoch ms of the last call the venue answered. */
  lastSuccessAt: number | undefined;

  constructor(
    private readonly source: VenueReport['source'],
    private readonly venue: string,
    /** Consecutive failures that make a streak worth reporting. */
    private readonly failuresBeforeDisconnect: number,
    private readonly report: (report: VenueReport) => void,
  ) {}

  get connected(): boolean {
    return this.state === 'connected';
  }

  succeeded(detail = 'venue answered'): void {
    this.failures = 0;
    this.lastSuccessAt = Date.now();
    if (this.state === 'connected') return;
    this.state = 'connected';
    this.emit('connected', detail);
  }

  /** `force` reports at once (a submit that ran out of attempts). */
  failed(detail: string, force = false): void {
    this.failures += 1;
    if (this.state === 'disconnected') return;
    if (!force && this.failures < this.failuresBeforeDisconnect) return;
    this.state = 'disconnected';
    this.emit('disconnected', detail);
  }

  emit(kind: VenueReport['kind'], detail: string, symbol?: string): void {
    this.report({
      source: this.source,
      venue: this.venue,
      kind,
      detail,
      ...(symbol === undefined ? {} : { symbol }),
    });
  }
}

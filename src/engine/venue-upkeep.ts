// Off the hot path, on the engine's heartbeat: refresh the venue's dead-man switch and reconcile
// open orders and positions with the venue now and then. Both are optional broker features.

import type { Broker, VenueReport } from '../core/ports.js';
import type { PositionBook } from './position-book.js';

export interface VenueUpkeepOptions {
  readonly broker: Broker;
  readonly positions: PositionBook;
  readonly report: (report: VenueReport) => void;
  /** A reconciliation found nothing to report. */
  readonly reconciled?: () => void;
  /** Reconcile on every Nth heartbeat (and once at start). */
  readonly reconcileEveryHeartbeats: number;
}

export class VenueUpkeep {
  private beats = 0;
  private refreshing = false;
  private reconciling = false;

  constructor(private readonly options: VenueUpkeepOptions) {}

  /** At start, after connect: arm the dead-man switch and reconcile once. */
  start(): void {
    this.refreshDeadMan();
    this.reconcile();
  }

  heartbeat(): void {
    this.refreshDeadMan();
    this.beats++;
    if (this.beats % this.options.reconcileEveryHeartbeats === 0) this.reconcile();
  }

  private refreshDeadMan(): void {
    const { broker } = this.options;
    if (broker.heartbeat === undefined || this.refreshing) return;
    this.refreshing = true;
    broker
      .heartbeat()
      .catch((error: unknown) => {
        this.options.report({
          source: 'broker',
          venue: broker.name,
          kind: 'dead-man-failed',
          detail: `refreshing the venue's cancel-all-after failed: ${messageOf(error)}`,
        });
      })
      .finally(() => {
        this.refreshing = false;
      });
  }

  private reconcile(): void {
    const { broker, positions } = this.options;
    if (broker.reconcile === undefined || this.reconciling) return;
    this.reconciling = true;
    broker
      .reconcile(positions.positions())
      .then((result) => {
        if (result.matched) {
          this.options.reconciled?.();
          return;
        }
        this.options.report({
          source: 'broker',
          venue: broker.name,
          kind: 'reconciliation-mismatch',
          detail: result.differences.join('; '),
        });
      })
      .catch((error: unknown) => {
        this.options.report({
          source: 'broker',
          venue: broker.name,
          kind: 'reconciliation-mismatch',
          detail: `reconciliation failed: ${messageOf(error)}`,
        });
      })
      .finally(() => {
        this.reconciling = false;
      });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

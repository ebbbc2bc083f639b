// Off the hot path, on the engine's heartbeat: refresh the venue's dead-man switch and reconcile
// open orders and positions with the venue now and then. Both are optional broker features.

import type {
  Broker,
  EarlierOrderOutcome,
  ReconciliationResult,
  VenueReport,
} from '../core/ports.js';
import type { PositionBook } from './position-book.js';

export interface VenueUpkeepOptions {
  readonly broker: Broker;
  readonly positions: PositionBook;
  readonly report: (report: VenueReport) => void;
  /** A reconciliation found nothing to report. */
  readonly reconciled?: () => void;
  /** The start reconciliation took the venue's positions over: what changed, per symbol. */
  readonly adopted?: (changes: { symbol: string; before: number; after: number }[]) => void;
  /** At start, an earlier run's order left open at the venue was cancelled there. */
  readonly earlierOrderCancelled?: (outcome: EarlierOrderOutcome) => void;
  /** Reconcile on every Nth heartbeat (and once at start). */
  readonly reconcileEveryHeartbeats: number;
}

export class VenueUpkeep {
  private beats = 0;
  private refreshing = false;
  private reconciling = false;
  private started = false;

  constructor(private readonly options: VenueUpkeepOptions) {}

  /** At start, after connect: arm the dead-man switch and reconcile once. */
  start(): void {
    this.refreshDeadMan();
    this.reconcile();
  }

  /**
   * Before start(): the orders earlier runs of this engine id left resting (a crash) are cancelled,
   * so the start reconciliation matches and nothing unmanaged works at the venue. One the venue
   * will not confirm cancelled is a reconciliation mismatch naming it: the engine does not trade
   * as if flat (the `reconciliation` rule reduces, as for any order open at the venue unknown here).
   */
  async cancelEarlierOrders(): Promise<void> {
    const { broker } = this.options;
    if (broker.cancelEarlierOrders === undefined) return;
    let outcomes: readonly EarlierOrderOutcome[];
    try {
      outcomes = await broker.cancelEarlierOrders();
    } catch (error) {
      return this.mismatch(
        `the earlier runs' orders open at the venue could not be listed to cancel them: ${messageOf(error)}`,
      );
    }
    for (const outcome of outcomes) {
      if (outcome.cancelled) this.options.earlierOrderCancelled?.(outcome);
      else
        this.mismatch(
          `order ${outcome.orderId} of an earlier run (${outcome.side} ${outcome.quantity} ${outcome.symbol}, ${outcome.leftQuantity} left) is open at the venue and was not cancelled: ${outcome.problem ?? 'no confirmation'}`,
        );
    }
  }

  heartbeat(): void {
    this.refreshDeadMan();
    this.beats++;
    if (this.beats % this.options.reconcileEveryHeartbeats === 0) this.reconcile();
  }

  private mismatch(detail: string): void {
    const { broker } = this.options;
    this.options.report({
      source: 'broker',
      venue: broker.name,
      kind: 'reconciliation-mismatch',
      detail,
    });
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

  /**
   * The venue wins at start: a restart restored positions from its journal, and the venue's may
   * differ (fills while the engine was down, a position closed by hand). Its positions are taken
   * over and reported; what is left (orders) is a mismatch as before.
   */
  private adoptVenuePositions(result: ReconciliationResult): ReconciliationResult {
    const { venuePositions, positionDifferences } = result;
    if (venuePositions === undefined || positionDifferences === undefined) return result;
    if (positionDifferences.size === 0) return result;
    const { positions } = this.options;
    const changes: { symbol: string; before: number; after: number }[] = [];
    for (const symbol of positionDifferences.keys()) {
      const after = venuePositions.get(symbol) ?? 0;
      changes.push({ symbol, before: positions.position(symbol), after });
      positions.setPosition(symbol, after);
    }
    this.options.adopted?.(changes);
    const adopted = new Set(positionDifferences.values());
    const differences = result.differences.filter((line) => !adopted.has(line));
    return { matched: differences.length === 0, differences };
  }

  private reconcile(): void {
    const { broker, positions } = this.options;
    if (broker.reconcile === undefined || this.reconciling) return;
    this.reconciling = true;
    const atStart = !this.started;
    this.started = true;
    broker
      .reconcile(positions.positions())
      .then((reported) => {
        const result = atStart ? this.adoptVenuePositions(reported) : reported;
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

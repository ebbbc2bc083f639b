// Tick, order, fill and error counters: the engine already keeps them (EngineCounters, the event
// tally), so they are copied at scrape time and the hot path does nothing for Prometheus.
//
// Each counter mirrors a monotonic source total with reset() then inc(total) at every scrape: the
// exported value is exactly the engine's (no delta bookkeeping that could drift) and it only ever
// goes up because the source only ever goes up.

import type { Counter } from 'prom-client';
import type { RunSummary } from '../../core/events.js';
import type { EngineEventTally } from './engine-event-tally.js';
import type { MetricFactory } from './metric-factory.js';

/** Gate 1 blocks whole ticks; gates 2 and 3 deny orders (see core/events.ts). */
const TICK_GATE = '1';

export class RunMetrics {
  private readonly ticksReceived: Counter;
  private readonly ticksProcessed: Counter;
  private readonly ticksBlocked: Counter<'gate'>;
  private readonly ordersSubmitted: Counter<'symbol' | 'side'>;
  private readonly ordersDenied: Counter<'gate' | 'code'>;
  private readonly fills: Counter;
  private readonly strategyErrors: Counter;
  private readonly brokerErrors: Counter;

  constructor(
    metrics: MetricFactory,
    private readonly tally: EngineEventTally,
  ) {
    this.ticksReceived = metrics.counter('ticks_received_total', 'Ticks received from the feed.');
    this.ticksProcessed = metrics.counter(
      'ticks_processed_total',
      'Ticks that passed gate 1 and reached the strategy.',
    );
    this.ticksBlocked = metrics.counter(
      'ticks_blocked_total',
      'Ticks a kill-switch gate stopped before the strategy saw them, by gate.',
      ['gate'],
    );
    this.ordersSubmitted = metrics.counter(
      'orders_submitted_total',
      'Orders handed to the broker, by symbol and side.',
      ['symbol', 'side'],
    );
    this.ordersDenied = metrics.counter(
      'orders_denied_total',
      'Signals and orders a gate denied, by gate and denial code.',
      ['gate', 'code'],
    );
    this.fills = metrics.counter('fills_total', 'Fills reported by the broker.');
    this.strategyErrors = metrics.counter('strategy_errors_total', 'Ticks the strategy threw on.');
    this.brokerErrors = metrics.counter(
      'broker_errors_total',
      'Broker calls that failed (submit, cancel).',
    );
  }

  update(summary: RunSummary): void {
    setTotal(this.ticksReceived, summary.ticks);
    setTotal(this.ticksProcessed, summary.ticksProcessed);
    setTotal(this.fills, summary.fills);
    setTotal(this.strategyErrors, summary.strategyErrors);
    setTotal(this.brokerErrors, summary.brokerErrors);
    this.updateBlocks(summary.blocks);
    this.ordersSubmitted.reset();
    for (const [symbol, counts] of this.tally.ordersBySymbol) {
      this.ordersSubmitted.inc({ symbol, side: 'buy' }, counts.buy);
      this.ordersSubmitted.inc({ symbol, side: 'sell' }, counts.sell);
    }
  }

  /** `blocks` is keyed `gate<n>:<code>`: gate 1 entries are blocked ticks, the others denials. */
  private updateBlocks(blocks: RunSummary['blocks']): void {
    this.ticksBlocked.reset();
    this.ordersDenied.reset();
    // Always present, so rate() has a zero to start from before the first engage.
    this.ticksBlocked.inc({ gate: TICK_GATE }, 0);
    for (const [key, count] of Object.entries(blocks)) {
      const separator = key.indexOf(':');
      const gate = key.slice('gate'.length, separator);
      const code = key.slice(separator + 1);
      if (gate === TICK_GATE) this.ticksBlocked.inc({ gate }, count);
      else this.ordersDenied.inc({ gate, code }, count);
    }
  }
}

function setTotal(counter: Counter, total: number): void {
  counter.reset();
  counter.inc(total);
}

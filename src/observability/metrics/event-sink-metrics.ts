// Delivery of the event streams (Kafka, NATS): copied from each sink's own totals at scrape time,
// like the engine counters, so sinks keep plain counters and never call into prom-client.

import type { Counter, Gauge } from 'prom-client';
import type { EventSink } from '../../core/ports.js';
import type { MetricFactory } from './metric-factory.js';

export class EventSinkMetrics {
  private readonly delivered: Counter<'sink'>;
  private readonly dropped: Counter<'sink'>;
  private readonly retries: Counter<'sink'>;
  private readonly failedBatches: Counter<'sink'>;
  private readonly queued: Gauge<'sink'>;

  constructor(
    metrics: MetricFactory,
    private readonly sinks: readonly EventSink[],
  ) {
    this.delivered = metrics.counter(
      'event_sink_delivered_total',
      'Events a sink delivered (acknowledged), by sink.',
      ['sink'],
    );
    this.dropped = metrics.counter(
      'event_sink_dropped_total',
      'Events a sink lost (queue full under overload, unserialisable, abandoned at close), by sink.',
      ['sink'],
    );
    this.retries = metrics.counter(
      'event_sink_retries_total',
      'Batches a sink sent again after a failed attempt, by sink.',
      ['sink'],
    );
    this.failedBatches = metrics.counter(
      'event_sink_failed_batches_total',
      'Batches that kept failing long enough to raise an alarm, by sink.',
      ['sink'],
    );
    this.queued = metrics.gauge(
      'event_sink_queued_events',
      'Events written to a sink and not yet delivered, by sink.',
      ['sink'],
    );
  }

  update(): void {
    for (const sink of this.sinks) {
      const stats = sink.stats?.();
      if (stats === undefined) continue;
      const labels = { sink: sink.name };
      setTotal(this.delivered, labels, stats.delivered);
      setTotal(this.dropped, labels, stats.dropped);
      setTotal(this.retries, labels, stats.retries);
      setTotal(this.failedBatches, labels, stats.failedBatches);
      this.queued.set(labels, stats.queued);
    }
  }
}

/** Mirrors a monotonic source total exactly (see run-metrics.ts). */
function setTotal(counter: Counter<'sink'>, labels: { sink: string }, total: number): void {
  counter.remove(labels);
  counter.inc(labels, total);
}

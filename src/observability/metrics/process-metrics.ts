// Event-loop lag and process metrics (prom-client's default collectors), created once per process.
// collectDefaultMetrics() starts an event-loop delay monitor and a GC observer that prom-client 15
// gives no way to stop; one registry per EngineMetrics would leave one running per instance after
// close(). Process metrics describe the process, not an engine, so every instance shares these.

import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

let shared: Registry | undefined;

/** The process-wide registry of default metrics (nodejs_*, process_*), unprefixed as is usual. */
export function processMetricsRegistry(): Registry {
  if (shared === undefined) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
    dropGaugesNamedTotal(shared);
  }
  return shared;
}

/**
 * prom-client exports nodejs_active_{handles,requests,resources}_total as gauges, which breaks the
 * naming rules (`promtool check metrics` rejects it). Each is the sum over `type` of the same
 * metric without the suffix, which stays, so nothing is lost.
 */
function dropGaugesNamedTotal(registry: Registry): void {
  for (const metric of registry.getMetricsAsArray()) {
    if (metric.name.endsWith('_total') && !(metric instanceof Counter)) {
      registry.removeSingleMetric(metric.name);
    }
  }
}

// Prometheus metrics of one running engine, for GET /metrics. Everything the engine already counts
// is read once per scrape from the EngineView; only what the event stream alone carries (orders by
// symbol and side, kill-switch changes by trigger, heartbeats) is tallied as events arrive.

import { Registry } from 'prom-client';
import { LivegateError } from '../../core/errors.js';
import type { EventSink } from '../../core/ports.js';
import type { ControlCounters } from '../../http/control-counters.js';
import type { EngineView } from '../../http/engine-view.js';
import { createControlMetrics } from './control-metrics.js';
import { EngineEventTally } from './engine-event-tally.js';
import { EventSinkMetrics } from './event-sink-metrics.js';
import { KillSwitchMetrics } from './kill-switch-metrics.js';
import { registerLatencyMetric } from './latency-metric.js';
import { MetricFactory } from './metric-factory.js';
import { processMetricsRegistry } from './process-metrics.js';
import { RiskMetrics } from './risk-metrics.js';
import { RunMetrics } from './run-metrics.js';

export interface EngineMetrics {
  /** The Prometheus text format's content type, for the response header. */
  readonly contentType: string;
  /** The exposition text: engine metrics sampled now, plus process metrics unless disabled. */
  render(): Promise<string>;
  /** Authentication failures, mutations and alerts, for the HTTP API and the webhook notifier. */
  readonly counters: ControlCounters;
  /** Unsubscribes from the engine; engine metrics keep the values of the last render from then on. */
  close(): void;
}

export interface EngineMetricsOptions {
  /** Prepended to every engine metric name. Default `livegate_`. */
  readonly prefix?: string;
  /** Adds prom-client's default metrics (event-loop lag, process_*, nodejs_*). Default true. */
  readonly defaultMetrics?: boolean;
  /** Sinks whose delivery figures (stats()) are exported, labelled by sink name. */
  readonly eventSinks?: readonly EventSink[];
}

const METRIC_NAME_PREFIX = /^(?:[a-zA-Z_][a-zA-Z0-9_]*)?$/;
const OPTION_NAMES = new Set(['prefix', 'defaultMetrics', 'eventSinks']);

/**
 * Create it before the engine runs: totals come from the engine and are always complete, but the
 * event-only figures (orders by symbol and side, changes by trigger) count from creation on.
 */
export function createEngineMetrics(
  view: EngineView,
  options: EngineMetricsOptions = {},
): EngineMetrics {
  const { prefix, defaultMetrics } = resolveOptions(options);
  const eventSinks = options.eventSinks ?? [];
  // Private, never prom-client's global registry: two instances in one process never collide.
  const registry = new Registry();
  const metrics = new MetricFactory(registry, prefix);
  const tally = new EngineEventTally();
  const run = new RunMetrics(metrics, tally);
  const latency = registerLatencyMetric(
    registry,
    `${prefix}tick_to_order_latency_seconds`,
    'Time from tick arrival to the order handed to the broker.',
    view.latency,
  );
  const killSwitch = new KillSwitchMetrics(metrics, view.killSwitch, tally, () =>
    view.confirmedRevision(),
  );
  const risk = new RiskMetrics(metrics);
  const sinks = new EventSinkMetrics(metrics, eventSinks);
  metrics
    .gauge('engine_info', 'The engine and run this process serves; always 1.', [
      'engine_id',
      'run_id',
    ])
    .set({ engine_id: view.engineId, run_id: view.runId }, 1);
  const counters = createControlMetrics(metrics);
  // Created now, so the event-loop monitor samples from the start rather than the first scrape.
  const processRegistry = defaultMetrics ? processMetricsRegistry() : undefined;
  const unsubscribe = view.on((event) => tally.record(event));
  let closed = false;

  return {
    contentType: registry.contentType,
    counters,
    async render() {
      if (!closed) {
        // One synchronous pass, so every metric of a scrape describes the same moment.
        run.update(view.summary());
        latency.update();
        killSwitch.update();
        risk.update(view.riskSnapshot());
        sinks.update();
      }
      const source =
        processRegistry === undefined ? registry : Registry.merge([registry, processRegistry]);
      return source.metrics();
    },
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
    },
  };
}

function resolveOptions(
  options: EngineMetricsOptions,
): Required<Omit<EngineMetricsOptions, 'eventSinks'>> {
  const problems: string[] = [];
  const unknown = Object.keys(options).filter((key) => !OPTION_NAMES.has(key));
  if (unknown.length > 0) problems.push(`unknown option(s) ${unknown.join(', ')}`);
  const { prefix = 'livegate_', defaultMetrics = true } = options;
  if (typeof prefix !== 'string' || !METRIC_NAME_PREFIX.test(prefix)) {
    problems.push(`"prefix" must be letters, digits and underscores, not starting with a digit`);
  }
  if (typeof defaultMetrics !== 'boolean') problems.push(`"defaultMetrics" must be a boolean`);
  if (problems.length > 0) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `Invalid metrics options: ${problems.join('; ')}`,
    );
  }
  return { prefix, defaultMetrics };
}

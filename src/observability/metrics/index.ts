// Prometheus metrics for GET /metrics: what the HTTP server and `livegate run` import.

export {
  createEngineMetrics,
  type EngineMetrics,
  type EngineMetricsOptions,
} from './engine-metrics.js';
export { TICK_TO_ORDER_BUCKETS_SECONDS } from './latency-metric.js';

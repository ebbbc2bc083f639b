// The library API: build a kill switch, an engine, a strategy and a feed in a few lines.

export * from './core/types.js';
export * from './core/events.js';
export * from './core/ports.js';
export * from './core/kill-switch-record.js';
export { LivegateError, isLivegateError, ERROR_CODES, type ErrorCode } from './core/errors.js';
export { systemClock, ManualClock, type Clock } from './core/clock.js';
export { KillSwitch, type KillSwitchOpenOptions } from './killswitch/kill-switch.js';
export { awaitConfirmations, type ConfirmationResult } from './killswitch/confirmations.js';
export { LiveEngine, type LiveEngineOptions } from './engine/live-engine.js';
export * from './core/risk-snapshot.js';
export type {
  PreTradeRisk,
  PreTradeDenial,
  TickObserver,
  EventObserver,
} from './risk/risk-ports.js';
export { LatencyHistogram } from './engine/latency-histogram.js';
export { FileKillSwitchStore } from './adapters/stores/file-kill-switch-store.js';
export { MemoryKillSwitchStore } from './adapters/stores/memory-kill-switch-store.js';
export { SyntheticMarketFeed, syntheticTicks } from './adapters/feeds/synthetic-market-feed.js';
export { CsvReplayMarketFeed } from './adapters/feeds/csv-replay-market-feed.js';
export { PaperBroker } from './adapters/brokers/paper-broker.js';
export { JsonlJournalSink } from './adapters/sinks/jsonl-journal-sink.js';
export { readJournal } from './adapters/sinks/journal-reader.js';
export { MemoryEventSink } from './adapters/sinks/memory-event-sink.js';
export { OneOrderPerTickStrategy } from './strategies/one-order-per-tick-strategy.js';
export { MovingAverageCrossoverStrategy } from './strategies/moving-average-crossover-strategy.js';
export { PeriodicOrderStrategy } from './strategies/periodic-order-strategy.js';
export { loadStrategy } from './strategies/load-strategy.js';
export { loadConfig } from './config/load-config.js';

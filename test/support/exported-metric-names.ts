// Every metric name a livegate engine's GET /metrics can carry, read from a real registry's
// exposition (`# TYPE` lines, so families without samples yet count too), for the tests that check
// the Prometheus rules and the Grafana dashboard reference nothing the engine does not export.

import { PaperBroker } from '../../src/adapters/brokers/paper-broker.js';
import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import { LiveEngine } from '../../src/engine/live-engine.js';
import { engineViewOf } from '../../src/http/engine-view.js';
import { KillSwitch } from '../../src/killswitch/kill-switch.js';
import { createEngineMetrics } from '../../src/observability/metrics/index.js';
import { OneOrderPerTickStrategy } from '../../src/strategies/one-order-per-tick-strategy.js';

/** What a family's samples are called, by type (a counter's TYPE line already ends in _total). */
const SAMPLE_SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export async function exportedMetricNames(): Promise<ReadonlySet<string>> {
  const store = new MemoryKillSwitchStore();
  const killSwitch = await KillSwitch.open(store, { actor: 'names-engine' });
  const engine = new LiveEngine({
    killSwitch,
    engineId: 'names-engine',
    strategy: new OneOrderPerTickStrategy(),
    broker: new PaperBroker(),
  });
  const view = engineViewOf({
    engine,
    killSwitch,
    feedStaleAfterMs: 5_000,
    confirmTimeoutMs: 5_000,
    engineStaleAfterMs: 5_000,
  });
  const metrics = createEngineMetrics(view);
  try {
    return namesIn(await metrics.render());
  } finally {
    metrics.close();
    killSwitch.close();
    await store.close();
  }
}

export function namesIn(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name = '', type] = match;
    for (const suffix of SAMPLE_SUFFIXES[type ?? ''] ?? ['']) names.add(name + suffix);
  }
  return names;
}

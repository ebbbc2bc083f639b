// A real scrape, with every metric family populated, must pass `promtool check metrics` (the
// Prometheus project's own parser and naming lint) with nothing to say.

import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { PaperBroker } from '../../../src/adapters/brokers/paper-broker.js';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import type { LivegateEvent } from '../../../src/core/events.js';
import { LiveEngine } from '../../../src/engine/live-engine.js';
import { engineViewOf } from '../../../src/http/engine-view.js';
import { KillSwitch } from '../../../src/killswitch/kill-switch.js';
import { createEngineMetrics } from '../../../src/observability/metrics/index.js';
import { RiskMonitor } from '../../../src/risk/monitor/risk-monitor.js';
import { OneOrderPerTickStrategy } from '../../../src/strategies/one-order-per-tick-strategy.js';
import { tick, ticks } from '../../engine/engine-fixtures.js';

const promtoolInstalled = spawnSync('promtool', ['--version']).error === undefined;
const inCi = Boolean(process.env.CI);
const SKIP_REASON =
  'promtool not found: skipping the `promtool check metrics` lint of /metrics (install the Debian package prometheus)';
if (!promtoolInstalled && !inCi) console.warn(SKIP_REASON);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An engine that has traded both sides, been denied, blocked and engaged, with a risk monitor. */
async function busyEngineScrape(): Promise<string> {
  const store = new MemoryKillSwitchStore();
  const killSwitch = await KillSwitch.open(store, { actor: 'lint-engine' });
  cleanups.push(
    () => killSwitch.close(),
    () => store.close(),
  );
  // The monitor reports through the engine's bus; it emits nothing before the engine exists.
  const emit = (event: LivegateEvent) => engine.emit(event);
  const monitor = new RiskMonitor(
    { rules: { positionLimit: { limit: 1_000, action: 'alert' } } },
    { killSwitch, engineId: 'lint-engine', emit },
  );
  const riskSnapshot = () => monitor.snapshot();
  const engine = new LiveEngine({
    killSwitch,
    engineId: 'lint-engine',
    strategy: new OneOrderPerTickStrategy(),
    broker: new PaperBroker(),
    tickObservers: [monitor],
    riskSnapshot,
  });
  engine.on((event) => monitor.onEvent(event));
  const view = engineViewOf({
    engine,
    killSwitch,
    riskSnapshot,
    feedStaleAfterMs: 5_000,
    confirmTimeoutMs: 5_000,
    engineStaleAfterMs: 5_000,
  });
  const metrics = createEngineMetrics(view);
  cleanups.push(() => metrics.close());
  await engine.run([...ticks(20), tick(1, 'GBP"USD\\odd')]);
  await killSwitch.reduce('unwind', 'tester');
  engine.flatten('unwind');
  await engine.run(ticks(3));
  await killSwitch.engage('stop', 'tester');
  await engine.run(ticks(2));
  metrics.counters.authFailure('invalid-token');
  metrics.counters.mutation('engage', 'operator');
  metrics.counters.alert('sent');
  return metrics.render();
}

describe('GET /metrics exposition', () => {
  it.skipIf(!promtoolInstalled && !inCi)(
    'passes promtool check metrics with no lint findings',
    async () => {
      if (!promtoolInstalled) {
        throw new Error(
          'promtool is not installed: .ci/run must install the Debian package `prometheus` (it provides promtool)',
        );
      }
      const text = await busyEngineScrape();
      expect(text).toContain(
        'livegate_orders_denied_total{gate="2",code="KILL_SWITCH_REDUCING"} 3',
      );
      expect(text).toContain('nodejs_eventloop_lag_seconds ');
      expect(text).toContain('livegate_risk_rule_utilization_ratio{rule="positionLimit"');
      const result = spawnSync('promtool', ['check', 'metrics'], {
        input: text,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.error).toBeUndefined();
      expect({ status: result.status, output: result.stdout + result.stderr }).toEqual({
        status: 0,
        output: '',
      });
    },
  );
});

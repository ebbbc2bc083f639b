// GET /metrics against a real engine: a LiveEngine with the paper broker, a builtin strategy and a
// memory kill-switch store, scraped as Prometheus would and compared with what the engine says.

import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { PaperBroker } from '../../../src/adapters/brokers/paper-broker.js';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import { isLivegateError } from '../../../src/core/errors.js';
import type { LivegateEvent } from '../../../src/core/events.js';
import type { Tick } from '../../../src/core/types.js';
import { LiveEngine } from '../../../src/engine/live-engine.js';
import { engineViewOf, type EngineView } from '../../../src/http/engine-view.js';
import { KillSwitch } from '../../../src/killswitch/kill-switch.js';
import {
  createEngineMetrics,
  TICK_TO_ORDER_BUCKETS_SECONDS,
  type EngineMetrics,
  type EngineMetricsOptions,
} from '../../../src/observability/metrics/index.js';
import type { RiskMonitorOptions } from '../../../src/risk/monitor/risk-monitor-options.js';
import { RiskMonitor } from '../../../src/risk/monitor/risk-monitor.js';
import { OneOrderPerTickStrategy } from '../../../src/strategies/one-order-per-tick-strategy.js';
import { collect, tick, ticks } from '../../engine/engine-fixtures.js';

// --- A small parser of the Prometheus text format, enough to read back what we export. ---

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? '').matchAll(LABEL_PAIR)) {
      labels[name!] = value!.replace(/\\(.)/g, (_, escaped: string) =>
        escaped === 'n' ? '\n' : escaped,
      );
    }
    const raw = match[3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

class Scrape {
  constructor(readonly samples: readonly Sample[]) {}
  static async of(metrics: EngineMetrics): Promise<Scrape> {
    return new Scrape(parseExposition(await metrics.render()));
  }
  all(name: string): Sample[] {
    return this.samples.filter((sample) => sample.name === name);
  }
  /** The one sample of `name` with exactly these labels, or undefined. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const wanted = JSON.stringify(Object.entries(labels).sort());
    const found = this.all(name).filter(
      (sample) => JSON.stringify(Object.entries(sample.labels).sort()) === wanted,
    );
    if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${wanted}`);
    return found[0]?.value;
  }
  sum(name: string): number {
    return this.all(name).reduce((total, sample) => total + sample.value, 0);
  }
}

// --- A real engine, cleaned up after each test. ---

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface TradingEngineOptions {
  engineId?: string;
  risk?: boolean;
  riskOptions?: RiskMonitorOptions;
  heartbeatMs?: number;
}

async function tradingEngine(options: TradingEngineOptions) {
  const engineId = options.engineId ?? 'metrics-engine';
  const store = new MemoryKillSwitchStore();
  const killSwitch = await KillSwitch.open(store, { actor: engineId });
  // The monitor reports through the engine's bus; it emits nothing before the engine exists.
  const emit = (event: LivegateEvent) => engine.emit(event);
  const monitor = options.risk
    ? new RiskMonitor(options.riskOptions ?? {}, { killSwitch, engineId, emit })
    : undefined;
  const riskSnapshot = monitor === undefined ? {} : { riskSnapshot: () => monitor.snapshot() };
  const engine = new LiveEngine({
    killSwitch,
    engineId,
    strategy: new OneOrderPerTickStrategy(),
    broker: new PaperBroker(),
    heartbeatIntervalMs: options.heartbeatMs ?? 60_000,
    ...(monitor === undefined ? {} : { tickObservers: [monitor] }),
    ...riskSnapshot,
  });
  if (monitor !== undefined) engine.on((event) => monitor.onEvent(event));
  const view = engineViewOf({
    engine,
    killSwitch,
    ...riskSnapshot,
    feedStaleAfterMs: 5_000,
    confirmTimeoutMs: 5_000,
    engineStaleAfterMs: 5_000,
  });
  cleanups.push(
    () => killSwitch.close(),
    () => store.close(),
  );
  return { engine, killSwitch, store, view, events: collect((listener) => engine.on(listener)) };
}

function metricsOf(view: EngineView, options: EngineMetricsOptions = {}): EngineMetrics {
  const metrics = createEngineMetrics(view, { defaultMetrics: false, ...options });
  cleanups.push(() => metrics.close());
  return metrics;
}

/** Ticks alternating between two symbols. */
function twoSymbolTicks(perSymbol: number): Tick[] {
  return ticks(perSymbol).flatMap((eur, index) => [eur, tick(index + 1, 'GBPUSD')]);
}

/** Polls with a deadline instead of sleeping for a fixed time. */
async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = await probe();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

describe('createEngineMetrics', () => {
  it('exports the run counters exactly as the engine summary counts them', async () => {
    const { engine, killSwitch, view, events } = await tradingEngine({});
    const metrics = metricsOf(view);
    await engine.run(twoSymbolTicks(10)); // SAFE: 20 buys
    await killSwitch.reduce('unwind', 'tester');
    expect(engine.flatten('unwind')).toBe(2); // one sell per symbol, through gates 2 and 3
    await engine.run(ticks(5)); // REDUCING: every buy is denied at gate 2
    await killSwitch.engage('stop', 'tester');
    await engine.run(ticks(4)); // ENGAGED: every tick is blocked at gate 1

    const scrape = await Scrape.of(metrics);
    const summary = engine.summary();
    expect(scrape.value('livegate_ticks_received_total')).toBe(summary.ticks);
    expect(summary.ticks).toBe(29);
    expect(scrape.value('livegate_ticks_processed_total')).toBe(summary.ticksProcessed);
    expect(scrape.value('livegate_ticks_blocked_total', { gate: '1' })).toBe(4);
    expect(scrape.sum('livegate_ticks_blocked_total')).toBe(summary.ticksBlocked);
    expect(scrape.value('livegate_fills_total')).toBe(summary.fills);
    expect(scrape.value('livegate_strategy_errors_total')).toBe(summary.strategyErrors);
    expect(scrape.value('livegate_broker_errors_total')).toBe(summary.brokerErrors);

    expect(scrape.sum('livegate_orders_submitted_total')).toBe(summary.ordersSubmitted);
    for (const symbol of ['EURUSD', 'GBPUSD']) {
      for (const side of ['buy', 'sell'] as const) {
        const submitted = events
          .ofType('OrderSubmitted')
          .filter((event) => event.order.symbol === symbol && event.order.side === side);
        const labels = { symbol, side };
        expect(scrape.value('livegate_orders_submitted_total', labels)).toBe(submitted.length);
      }
    }
    expect(
      scrape.value('livegate_orders_submitted_total', { symbol: 'EURUSD', side: 'sell' }),
    ).toBe(1);

    const denied = { gate: '2', code: 'KILL_SWITCH_REDUCING' };
    expect(scrape.value('livegate_orders_denied_total', denied)).toBe(5);
    expect(summary.blocks['gate2:KILL_SWITCH_REDUCING']).toBe(5);
    expect(scrape.sum('livegate_orders_denied_total')).toBe(summary.ordersDenied);
    const info = { engine_id: 'metrics-engine', run_id: engine.runId };
    expect(scrape.value('livegate_engine_info', info)).toBe(1);
  });

  it('exports tick-to-order latency as a cumulative histogram in seconds', async () => {
    const { engine, view } = await tradingEngine({});
    const metrics = metricsOf(view);
    await engine.run(twoSymbolTicks(50));
    const scrape = await Scrape.of(metrics);
    const name = 'livegate_tick_to_order_latency_seconds';
    const count = scrape.value(`${name}_count`);
    expect(count).toBe(engine.summary().ordersSubmitted);
    expect(count).toBe(100);
    const buckets = scrape.all(`${name}_bucket`);
    expect(buckets.map((bucket) => bucket.labels.le)).toEqual([
      ...TICK_TO_ORDER_BUCKETS_SECONDS.map(String),
      '+Inf',
    ]);
    for (let index = 1; index < buckets.length; index++) {
      expect(buckets[index]!.value).toBeGreaterThanOrEqual(buckets[index - 1]!.value);
    }
    expect(buckets.at(-1)!.value).toBe(count);
    for (const bucket of buckets.slice(0, -1)) {
      const boundNs = Math.round(Number(bucket.labels.le) * 1e9);
      expect(bucket.value).toBe(view.latency.countAtOrBelow(boundNs));
    }
    const sum = scrape.value(`${name}_sum`)!;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeCloseTo(view.latency.estimatedSum() / 1e9, 12);
  });

  it('shows engage() at the gates in the very next scrape and counts changes by trigger', async () => {
    const { engine, killSwitch, view, events } = await tradingEngine({});
    const metrics = metricsOf(view);
    let scrape = await Scrape.of(metrics);
    expect(scrape.value('livegate_kill_switch_state', { state: 'SAFE' })).toBe(1);
    expect(scrape.value('livegate_kill_switch_state', { state: 'ENGAGED' })).toBe(0);
    expect(scrape.value('livegate_kill_switch_revision')).toBe(1);
    expect(scrape.value('livegate_kill_switch_fail_closed')).toBe(0);
    await engine.run(ticks(3));
    const appliedBefore = killSwitch.appliedAt;

    // Tightening is synchronous: the scrape sees ENGAGED before the store has confirmed it.
    const engaged = killSwitch.engage('drill', 'tester');
    scrape = await Scrape.of(metrics);
    expect(scrape.value('livegate_kill_switch_state', { state: 'ENGAGED' })).toBe(1);
    expect(scrape.value('livegate_kill_switch_state', { state: 'SAFE' })).toBe(0);
    expect(scrape.value('livegate_kill_switch_state', { state: 'REDUCING' })).toBe(0);
    await engaged;
    await engine.run(ticks(2)); // the engine reports the new revision when it runs

    scrape = await Scrape.of(metrics);
    expect(scrape.value('livegate_kill_switch_revision')).toBe(2);
    expect(killSwitch.appliedAt).toBeGreaterThanOrEqual(appliedBefore);
    expect(scrape.value('livegate_kill_switch_applied_timestamp_seconds')).toBe(
      killSwitch.appliedAt / 1000,
    );
    const changes = events.ofType('KillSwitchChanged');
    expect(changes.map((change) => change.record.trigger)).toEqual(['startup', 'manual']);
    expect(scrape.value('livegate_kill_switch_changes_total', { trigger: 'startup' })).toBe(1);
    expect(scrape.value('livegate_kill_switch_changes_total', { trigger: 'manual' })).toBe(1);
  });

  it('reports the gates failing closed while the stored state is unreadable', async () => {
    const { engine, killSwitch, store, view } = await tradingEngine({});
    const metrics = metricsOf(view);
    await engine.run(ticks(1)); // the switch now watches its store
    store.simulateUnreadable('disk gone');
    const scrape = await until(async () => {
      const current = await Scrape.of(metrics);
      return current.value('livegate_kill_switch_fail_closed') === 1 ? current : undefined;
    }, 'fail_closed = 1');
    expect(killSwitch.failClosedReason?.code).toBe('ERR_STATE_UNREADABLE');
    expect(scrape.value('livegate_kill_switch_state', { state: 'ENGAGED' })).toBe(1);
  });

  it('exports the time of the latest heartbeat while the engine runs', async () => {
    const { engine, view, events } = await tradingEngine({ heartbeatMs: 10 });
    const metrics = metricsOf(view);
    expect((await Scrape.of(metrics)).value('livegate_heartbeat_timestamp_seconds')).toBe(0);
    const running = engine.run(endlessTicks());
    const seconds = await until(async () => {
      const value = (await Scrape.of(metrics)).value('livegate_heartbeat_timestamp_seconds');
      return value !== undefined && value > 0 ? value : undefined;
    }, 'a heartbeat');
    engine.stop();
    await running;
    const beats = events.ofType('Heartbeat').map((event) => event.time / 1000);
    expect(beats).toContain(seconds);
  });

  it('exports positions and PnL from the risk snapshot, and no samples without a monitor', async () => {
    const withRisk = await tradingEngine({ risk: true });
    const metrics = metricsOf(withRisk.view);
    await withRisk.engine.run(twoSymbolTicks(10));
    const scrape = await Scrape.of(metrics);
    const snapshot = withRisk.view.riskSnapshot()!;
    for (const symbol of ['EURUSD', 'GBPUSD']) {
      expect(scrape.value('livegate_position_quantity', { symbol })).toBe(
        withRisk.engine.position(symbol),
      );
    }
    expect(withRisk.engine.position('EURUSD')).toBe(10);
    expect(scrape.value('livegate_realized_profit_and_loss')).toBe(snapshot.realizedPnl);
    expect(scrape.value('livegate_unrealized_profit_and_loss')).toBe(snapshot.unrealizedPnl);
    expect(scrape.value('livegate_daily_profit_and_loss')).toBe(snapshot.dailyPnl);
    expect(scrape.value('livegate_equity_peak')).toBe(snapshot.equityPeak);
    expect(scrape.value('livegate_drawdown')).toBe(snapshot.drawdown);
    expect(scrape.value('livegate_gross_exposure')).toBe(snapshot.grossExposure);
    expect(snapshot.grossExposure).toBeGreaterThan(0);

    const withoutRisk = await tradingEngine({ engineId: 'no-risk' });
    await withoutRisk.engine.run(ticks(3));
    const bare = await Scrape.of(metricsOf(withoutRisk.view));
    const riskNames =
      /^livegate_(position_quantity|.*profit_and_loss|equity_peak|drawdown|gross_exposure)$/;
    expect(bare.samples.filter((sample) => riskNames.test(sample.name))).toEqual([]);
  });

  it("exports each risk rule's utilization and tripped flag by rule and action", async () => {
    const { engine, view } = await tradingEngine({
      risk: true,
      riskOptions: {
        rules: {
          positionLimit: { limit: 8, action: 'alert' },
          orderRate: { limit: 1_000, windowMs: 60_000, action: 'reduce' },
        },
      },
    });
    const metrics = metricsOf(view);
    await engine.run(twoSymbolTicks(10));
    const scrape = await Scrape.of(metrics);
    const rules = view.riskSnapshot()!.rules;
    expect(rules.map((rule) => rule.rule).sort()).toEqual(['orderRate', 'positionLimit']);
    for (const rule of rules) {
      const labels = { rule: rule.rule, action: rule.action };
      expect(scrape.value('livegate_risk_rule_utilization_ratio', labels)).toBe(rule.utilization);
      expect(scrape.value('livegate_risk_rule_tripped', labels)).toBe(rule.tripped ? 1 : 0);
    }
    // 10 EURUSD bought against a limit of 8: over it, tripped; 20 orders of 1,000: far under.
    const position = { rule: 'positionLimit', action: 'alert' };
    expect(scrape.value('livegate_risk_rule_utilization_ratio', position)).toBeGreaterThan(1);
    expect(scrape.value('livegate_risk_rule_tripped', position)).toBe(1);
    const rate = { rule: 'orderRate', action: 'reduce' };
    expect(scrape.value('livegate_risk_rule_utilization_ratio', rate)).toBeLessThan(0.1);
    expect(scrape.value('livegate_risk_rule_tripped', rate)).toBe(0);
    // positionLimit warns (a loss or exposure rule) and is past its highest level; orderRate does not warn.
    expect(scrape.value('livegate_risk_rule_warning_level', position)).toBe(0.9);
    expect(
      scrape.samples.filter(
        (sample) =>
          sample.name === 'livegate_risk_rule_warning_level' && sample.labels.rule === 'orderRate',
      ),
    ).toEqual([]);
  });

  it('exports the kill-switch revision confirmed to the store, catching up with the applied one', async () => {
    const { engine, killSwitch, store, view } = await tradingEngine({ heartbeatMs: 10 });
    const metrics = metricsOf(view);
    expect((await Scrape.of(metrics)).value('livegate_kill_switch_confirmed_revision')).toBe(0);
    const running = engine.run(endlessTicks());
    await killSwitch.engage('confirm me', 'tester');
    const applied = killSwitch.revision;
    expect(applied).toBeGreaterThan(0);
    const scrape = await until(async () => {
      const current = await Scrape.of(metrics);
      return current.value('livegate_kill_switch_confirmed_revision') === applied
        ? current
        : undefined;
    }, 'the engage confirmed');
    expect(scrape.value('livegate_kill_switch_revision')).toBe(applied);
    const report = await store.readEngineReport('metrics-engine');
    expect(report?.observedRevision).toBe(applied);
    engine.stop();
    await running;
  });

  it('counts control-plane events through its ControlCounters', async () => {
    const { view } = await tradingEngine({});
    const metrics = metricsOf(view);
    metrics.counters.authFailure('invalid-token');
    metrics.counters.authFailure('invalid-token');
    metrics.counters.mutation('engage', 'operator');
    metrics.counters.alert('retried');
    const scrape = await Scrape.of(metrics);
    const failures = 'livegate_http_authentication_failures_total';
    expect(scrape.value(failures, { reason: 'invalid-token' })).toBe(2);
    expect(scrape.value(failures, { reason: 'rate-limited' })).toBe(0);
    const mutation = { action: 'engage', role: 'operator' };
    expect(scrape.value('livegate_http_mutations_total', mutation)).toBe(1);
    expect(scrape.value('livegate_alerts_total', { outcome: 'retried' })).toBe(1);
    expect(scrape.value('livegate_alerts_total', { outcome: 'failed' })).toBe(0);
  });

  it('keeps two instances in one process apart', async () => {
    const first = await tradingEngine({ engineId: 'engine-a' });
    const second = await tradingEngine({ engineId: 'engine-b' });
    const firstMetrics = metricsOf(first.view, { defaultMetrics: true });
    const secondMetrics = metricsOf(second.view, { defaultMetrics: true });
    const prefixed = metricsOf(first.view, { prefix: 'desk_' });
    await first.engine.run(ticks(3));
    await second.engine.run(ticks(5));
    const [a, b, c] = await Promise.all(
      [firstMetrics, secondMetrics, prefixed].map((metrics) => Scrape.of(metrics)),
    );
    expect(a!.value('livegate_ticks_received_total')).toBe(3);
    expect(b!.value('livegate_ticks_received_total')).toBe(5);
    expect(a!.all('livegate_engine_info')[0]?.labels.engine_id).toBe('engine-a');
    expect(b!.all('livegate_engine_info')[0]?.labels.engine_id).toBe('engine-b');
    expect(c!.value('desk_ticks_received_total')).toBe(3);
    expect(c!.all('livegate_ticks_received_total')).toEqual([]);
    expect(a!.all('nodejs_eventloop_lag_seconds')).toHaveLength(1);
    expect(b!.all('process_cpu_user_seconds_total')).toHaveLength(1);
  });

  it('stops following the engine after close()', async () => {
    const { engine, view } = await tradingEngine({});
    const metrics = metricsOf(view);
    await engine.run(ticks(3));
    const before = await metrics.render();
    metrics.close();
    await engine.run(ticks(4));
    expect(await metrics.render()).toBe(before);
    expect(new Scrape(parseExposition(before)).value('livegate_ticks_received_total')).toBe(3);
    const fresh = await Scrape.of(metricsOf(view));
    expect(fresh.value('livegate_ticks_received_total')).toBe(7);
  });

  it('refuses a prefix that would not make a metric name', async () => {
    const { view } = await tradingEngine({});
    let refused: unknown;
    try {
      createEngineMetrics(view, { prefix: '9-lives' });
    } catch (error) {
      refused = error;
    }
    expect(isLivegateError(refused, 'ERR_CONFIG_INVALID')).toBe(true);
  });
});

/** A feed that keeps delivering until the engine stops taking ticks. */
async function* endlessTicks(): AsyncGenerator<Tick> {
  for (let index = 1; ; index++) {
    yield tick(index);
    await delay(1);
  }
}

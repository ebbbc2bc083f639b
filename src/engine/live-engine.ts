// The live loop: ticks in, three kill-switch gates, orders out. Everything here is the hot path.

import { GLOBAL_SCOPE } from '../core/scopes.js';
import os from 'node:os';
import { systemClock, type Clock } from '../core/clock.js';
import { isLivegateError, LivegateError } from '../core/errors.js';
import type { LivegateEvent, RunSummary } from '../core/events.js';
import { KillSwitchLevel, type EngineReport } from '../core/kill-switch-record.js';
import type {
  Broker,
  EventSink,
  MarketFeed,
  SignalResult,
  Strategy,
  StrategyContext,
  TickOrBatch,
} from '../core/ports.js';
import type { Tick } from '../core/types.js';
import type { RiskSnapshot } from '../core/risk-snapshot.js';
import type { EnforcedKillSwitch } from '../killswitch/enforced-kill-switch.js';
import type { PreTradeRisk, TickObserver } from '../risk/risk-ports.js';
import { EngineCounters } from './engine-counters.js';
import { EngineReporter } from './engine-reporter.js';
import { EventBus } from './event-bus.js';
import type { LatencyHistogram } from './latency-histogram.js';
import { OrderRouter, UNLEASED_LIMITS, type LeasedState } from './order-router.js';
import { PositionBook } from './position-book.js';
import { VenueStatus } from './venue-status.js';
import { VenueUpkeep } from './venue-upkeep.js';

const ENGAGED = KillSwitchLevel.ENGAGED;
const TICK_BLOCKED_KEY = 'gate1:KILL_SWITCH_ENGAGED';
/** How many ticks of a batch run between two looks at the clock for yielding. */
const YIELD_CHECK_MASK = 63;
/** Longest the first tick waits for a fresh read of the kill switch's state. */
const FIRST_READ_WAIT_MS = 1_000;

export interface LiveEngineOptions {
  readonly killSwitch: EnforcedKillSwitch;
  readonly strategy: Strategy;
  readonly broker: Broker;
  /** Used in heartbeats, confirmations and the journal. Default `<hostname>-<pid>`. */
  readonly engineId?: string;
  /** Identifies this run in the journal. Default `<engineId>-<start time base36>`. */
  readonly runId?: string;
  readonly sinks?: readonly EventSink[];
  readonly clock?: Clock;
  /** Strategy or broker errors in a row before the kill switch engages with trigger `error`. */
  readonly maxConsecutiveErrors?: number;
  readonly heartbeatIntervalMs?: number;
  /** Another process publishes reports under this engine's id (see EngineReporterOptions). */
  readonly onEngineIdConflict?: (holder: EngineReport) => void;
  /** A busy loop yields to the event loop at least this often, so kill-switch changes are delivered. */
  readonly yieldIntervalMs?: number;
  readonly cancelOpenOrdersOnShutdown?: boolean;
  /** Cancel every open order as soon as the switch becomes ENGAGED (default true). */
  readonly cancelOpenOrdersOnEngage?: boolean;
  /** The pre-trade chain run at gate 2; it also sees every tick and every event. */
  readonly preTradeRisk?: PreTradeRisk;
  /** See every tick before gate 1 (the risk monitor's marks and staleness). */
  readonly tickObservers?: readonly TickObserver[];
  /** Positions, PnL and rule headroom for heartbeats and `livegate status`. */
  readonly riskSnapshot?: () => RiskSnapshot;
  /** Venue brokers: reconcile with the venue on every Nth heartbeat (default 10) and at start. */
  readonly reconcileEveryHeartbeats?: number;
  /** Filled positions carried over from an earlier run (restored from the journal). */
  readonly initialPositions?: ReadonlyMap<string, number>;
  /** The live limits revision the gates enforce, for every report (`livegate limits set` waits on it). */
  readonly limitsRevision?: () => number;
  /** The `at` of the limits revision in force (its identity with the number). */
  readonly limitsAt?: () => string | undefined;
  /** The live limits' lease, checked at gate 3 (LIMITS_STATE_STALE); absent: config limits only. */
  readonly limitsLease?: LeasedState;
}

export interface EngineHealth {
  readonly running: boolean;
  /** True between a successful broker connect and the end of the run. */
  readonly brokerConnected: boolean;
  /** ms since the latest tick, null before the first. */
  readonly lastTickAgeMs: number | null;
}

type TickSource = MarketFeed | AsyncIterable<TickOrBatch> | Iterable<TickOrBatch>;

export class LiveEngine {
  readonly id: string;
  readonly runId: string;
  private readonly killSwitch: EnforcedKillSwitch;
  private readonly strategy: Strategy;
  private readonly broker: Broker;
  private readonly clock: Clock;
  private readonly bus: EventBus;
  private readonly counters = new EngineCounters();
  private readonly positions = new PositionBook();
  private readonly reporter: EngineReporter;
  private readonly context: StrategyContext;
  private readonly maxConsecutiveErrors: number;
  private readonly yieldIntervalMs: number;
  private readonly cancelOpenOrdersOnShutdown: boolean;
  private readonly preTradeRisk: PreTradeRisk | undefined;
  private readonly tickObservers: readonly TickObserver[];
  private readonly cancelOpenOrdersOnEngage: boolean;
  private unsubscribeKillSwitch: (() => void) | undefined;
  private wasEngaged = false;
  private readonly observeTick: ((tick: Tick) => void) | undefined;
  private consecutiveStrategyErrors = 0;
  private stopRequested = false;
  private running = false;
  private brokerConnected = false;
  private activeFeed: MarketFeed | undefined;
  private readonly router: OrderRouter;
  private readonly venueUpkeep: VenueUpkeep;
  private readonly venueStatus = new VenueStatus();

  constructor(options: LiveEngineOptions) {
    this.killSwitch = options.killSwitch;
    this.strategy = options.strategy;
    this.broker = options.broker;
    this.clock = options.clock ?? systemClock;
    this.id = options.engineId ?? `${os.hostname()}-${process.pid}`;
    this.runId = options.runId ?? `${this.id}-${Date.now().toString(36)}`;
    this.maxConsecutiveErrors = positiveInteger(
      options.maxConsecutiveErrors ?? 5,
      'maxConsecutiveErrors',
    );
    this.yieldIntervalMs = options.yieldIntervalMs ?? 1;
    this.cancelOpenOrdersOnShutdown = options.cancelOpenOrdersOnShutdown ?? true;
    this.preTradeRisk = options.preTradeRisk;
    this.tickObservers = options.tickObservers ?? [];
    this.cancelOpenOrdersOnEngage = options.cancelOpenOrdersOnEngage ?? true;
    this.observeTick = this.broker.observeTick?.bind(this.broker);
    for (const [symbol, quantity] of options.initialPositions ?? []) {
      this.positions.setPosition(symbol, quantity);
    }
    this.bus = new EventBus(options.sinks ?? []);
    const preTradeRisk = this.preTradeRisk;
    if (preTradeRisk !== undefined) this.bus.subscribe((event) => preTradeRisk.onEvent(event));
    this.bus.subscribe((event) => {
      if (event.type === 'Heartbeat') this.venueUpkeep.heartbeat();
      else this.venueStatus.onEvent(event);
    });
    this.router = new OrderRouter({
      engineId: this.id,
      runId: this.runId,
      killSwitch: this.killSwitch,
      broker: this.broker,
      clock: this.clock,
      bus: this.bus,
      counters: this.counters,
      positions: this.positions,
      preTradeRisk,
      limitsLease: options.limitsLease ?? UNLEASED_LIMITS,
      maxConsecutiveErrors: this.maxConsecutiveErrors,
      onTooManyErrors: (reason) => this.engageOnErrors(reason),
    });
    this.venueUpkeep = new VenueUpkeep({
      broker: this.broker,
      positions: this.positions,
      report: (report) => this.router.venueReported(report),
      reconciled: () => this.venueStatus.reconciled(),
      adopted: (changes) =>
        this.emit({
          type: 'VenuePositionsAdopted',
          time: this.clock.now(),
          engineId: this.id,
          venue: this.broker.name,
          changes,
          message: `positions taken from the venue ${this.broker.name} at start: ${changes
            .map(({ symbol, before, after }) => `${symbol} ${before} here -> ${after} at the venue`)
            .join(', ')}`,
        }),
      earlierOrderCancelled: (outcome) =>
        this.emit({
          type: 'EarlierOrderCancelled',
          time: this.clock.now(),
          engineId: this.id,
          venue: this.broker.name,
          orderId: outcome.orderId,
          clientOrderId: outcome.clientOrderId,
          symbol: outcome.symbol,
          side: outcome.side,
          quantity: outcome.quantity,
          leftQuantity: outcome.leftQuantity,
          message: `order ${outcome.orderId} of an earlier run (${outcome.side} ${outcome.quantity} ${outcome.symbol}) was open at the venue ${this.broker.name} and is cancelled: ${outcome.leftQuantity} left unfilled`,
        }),
      reconcileEveryHeartbeats: options.reconcileEveryHeartbeats ?? 10,
    });
    this.reporter = new EngineReporter({
      engineId: this.id,
      killSwitch: this.killSwitch,
      clock: this.clock,
      intervalMs: options.heartbeatIntervalMs ?? 1000,
      summary: () => this.summary(),
      ...(options.riskSnapshot === undefined ? {} : { riskSnapshot: options.riskSnapshot }),
      ...(options.limitsRevision === undefined ? {} : { limitsRevision: options.limitsRevision }),
      ...(options.limitsAt === undefined ? {} : { limitsAt: options.limitsAt }),
      extraStats: () =>
        this.venueStatus.stats(this.health().lastTickAgeMs, this.broker.lastMessageAt?.()),
      emit: (event) => this.bus.emit(event),
      ...(options.onEngineIdConflict === undefined
        ? {}
        : { onIdConflict: options.onEngineIdConflict }),
    });
    this.context = {
      engineId: this.id,
      position: (symbol) => this.positions.position(symbol),
      killSwitchState: () => this.killSwitch.state,
      engageKillSwitch: async (reason) => {
        await this.killSwitch.engage(
          reason,
          `${this.id}/strategy:${this.strategy.name}`,
          'strategy',
        );
      },
      now: () => this.clock.now(),
    };
  }

  /** Subscribes to every event the engine emits; returns an unsubscribe function. */
  on(listener: (event: LivegateEvent) => void): () => void {
    return this.bus.subscribe(listener);
  }

  /** Puts an event on the engine's bus (risk components report through here). */
  emit(event: LivegateEvent): void {
    this.bus.emit(event);
  }

  /** Signed position in a symbol, from fills. */
  position(symbol: string): number {
    return this.positions.position(symbol);
  }

  summary(): RunSummary {
    return this.counters.summary(
      this.clock.monotonic(),
      this.killSwitch.state,
      this.killSwitch.revision,
    );
  }

  /** Liveness facts for /readyz: read at request time, nothing extra on the hot path. */
  health(): EngineHealth {
    const { lastTickAt } = this.counters;
    return {
      running: this.running,
      brokerConnected: this.brokerConnected && this.venueStatus.brokerReachable(),
      lastTickAgeMs: lastTickAt === 0 ? null : this.clock.monotonic() - lastTickAt,
    };
  }

  /** Publishes a report now (a new limits revision is in force): its confirmation, not a heartbeat's. */
  reportNow(): void {
    this.reporter.reportNow();
  }

  /** The kill-switch revision this engine last confirmed to the store (0 before the first report). */
  get confirmedRevision(): number {
    return this.reporter.confirmedRevision;
  }

  /** The live tick-to-order histogram; read it, never record into it. */
  get latency(): LatencyHistogram {
    return this.counters.latency;
  }

  /** Graceful stop: finish the current tick, take no more. */
  stop(): void {
    this.stopRequested = true;
    void this.activeFeed?.close();
  }

  /**
   * Runs until the source ends or stop() is called. A failing source rejects with ERR_FEED_FAILED
   * after the shutdown steps have run; the kill-switch state is never touched by a feed failure.
   */
  async run(source: TickSource): Promise<RunSummary> {
    if (this.running) throw new LivegateError('ERR_USAGE', `engine ${this.id} is already running`);
    this.running = true;
    this.activeFeed = isMarketFeed(source) ? source : undefined;
    const ticks = isMarketFeed(source) ? source.ticks() : source;
    this.activeFeed?.attach?.({ onVenueReport: (report) => this.router.venueReported(report) });
    await this.broker.connect(this.router.listener());
    this.brokerConnected = true;
    // Before the first tick and the start reconciliation: no earlier run's order left working.
    await this.venueUpkeep.cancelEarlierOrders();
    this.venueUpkeep.start();
    this.killSwitch.watch();
    this.wasEngaged = this.killSwitch.level === ENGAGED;
    this.unsubscribeKillSwitch = this.killSwitch.onChange(() => this.killSwitchChanged());
    this.counters.startedAt = this.clock.monotonic();
    this.bus.emit({
      type: 'RunStarted',
      time: this.clock.now(),
      engineId: this.id,
      runId: this.runId,
      feed: this.activeFeed?.name ?? 'custom',
      strategy: this.strategy.name,
      broker: this.broker.name,
      killSwitchStore: this.killSwitch.store.name,
      state: this.killSwitch.state,
      revision: this.killSwitch.revision,
    });
    this.reporter.start();
    let feedError: unknown;
    try {
      // A fresh lease for the first tick: the one from the read at start-up may have run out
      // while the run was set up (a full-speed run then had most orders denied stale before a
      // re-read landed). Bounded: a store that does not answer leaves the gates to deny as before.
      await this.killSwitch.readNow(FIRST_READ_WAIT_MS);
      await this.consume(ticks);
    } catch (error) {
      feedError = error;
    }
    const summary = await this.shutDown(feedError === undefined ? undefined : 'feed-failed');
    if (feedError !== undefined) {
      // A malformed tick in strict mode keeps its own code (docs/errors.md promises it).
      const code = isLivegateError(feedError, 'ERR_FEED_BAD_TICK')
        ? 'ERR_FEED_BAD_TICK'
        : 'ERR_FEED_FAILED';
      throw new LivegateError(code, `feed failed: ${messageOf(feedError)}`, { cause: feedError });
    }
    return summary;
  }

  private async consume(ticks: AsyncIterable<TickOrBatch> | Iterable<TickOrBatch>): Promise<void> {
    let lastYield = this.clock.monotonic();
    for await (const item of ticks) {
      if (isBatch(item)) {
        for (let index = 0; index < item.length; index++) {
          if (this.stopRequested) return;
          const pending = this.handleTick(item[index]!);
          if (pending !== undefined) await pending;
          if ((index & YIELD_CHECK_MASK) === YIELD_CHECK_MASK) {
            if (this.clock.monotonic() - lastYield >= this.yieldIntervalMs) {
              await yieldToEventLoop();
              lastYield = this.clock.monotonic();
            }
          }
        }
      } else {
        if (this.stopRequested) return;
        const pending = this.handleTick(item);
        if (pending !== undefined) await pending;
      }
      if (this.stopRequested) return;
      if (this.clock.monotonic() - lastYield >= this.yieldIntervalMs) {
        await yieldToEventLoop();
        lastYield = this.clock.monotonic();
      }
    }
  }

  /** One tick through gate 1 and the strategy. Returns a promise only for async strategies. */
  handleTick(tick: Tick): Promise<void> | undefined {
    const arrival = this.clock.monotonic();
    this.counters.ticks++;
    this.counters.lastTickAt = arrival;
    if (this.observeTick !== undefined) this.observeTick(tick);
    if (this.preTradeRisk !== undefined) this.preTradeRisk.observeTick(tick);
    for (let index = 0; index < this.tickObservers.length; index++) {
      this.tickObservers[index]!.observeTick(tick);
    }
    // Gate 1: an engaged switch skips the strategy entirely.
    if (this.killSwitch.level === ENGAGED) {
      this.blockTick(tick);
      return undefined;
    }
    this.counters.ticksProcessed++;
    let result: SignalResult | Promise<SignalResult>;
    try {
      result = this.strategy.onTick(tick, this.context);
    } catch (error) {
      this.strategyFailed(error, tick);
      return undefined;
    }
    if (isPromiseLike(result)) {
      return result.then(
        (signals) => {
          this.consecutiveStrategyErrors = 0;
          this.router.route(signals, arrival);
        },
        (error: unknown) => this.strategyFailed(error, tick),
      );
    }
    this.consecutiveStrategyErrors = 0;
    this.router.route(result, arrival);
    return undefined;
  }

  private blockTick(tick: Tick): void {
    this.counters.ticksBlocked++;
    this.counters.countBlock(TICK_BLOCKED_KEY);
    this.bus.emit({
      type: 'TickBlocked',
      time: this.clock.now(),
      engineId: this.id,
      gate: 1,
      reason: 'KILL_SWITCH_ENGAGED',
      symbol: tick.symbol,
      revision: this.killSwitch.revision,
    });
  }

  private strategyFailed(error: unknown, tick: Tick): void {
    this.counters.strategyErrors++;
    this.consecutiveStrategyErrors++;
    this.bus.emit({
      type: 'StrategyFailed',
      time: this.clock.now(),
      engineId: this.id,
      message: messageOf(error),
      tick,
      consecutiveErrors: this.consecutiveStrategyErrors,
    });
    if (this.consecutiveStrategyErrors === this.maxConsecutiveErrors) {
      this.engageOnErrors(
        `${this.maxConsecutiveErrors} consecutive strategy errors, last: ${messageOf(error)}`,
      );
    }
  }

  private engageOnErrors(reason: string): void {
    // The gates close synchronously inside engage(); a failed write is already fail-closed and evented.
    this.killSwitch.engage(reason, this.id, 'error').catch(() => undefined);
  }

  /**
   * Closes every position with market orders through gates 2 and 3 (so REDUCING lets them pass
   * and ENGAGED does not). Returns how many orders were submitted. `only` limits it to the
   * symbols it accepts.
   */
  flatten(reason: string, only?: (symbol: string) => boolean): number {
    return this.router.flatten(reason, only);
  }

  /** How many of the last flatten's orders are still working at the broker. */
  flattenOrdersWorking(): number {
    return this.router.flattenOrdersWorking();
  }

  /** Cancels every open order at the broker and says so in an event. */
  async cancelAllOrders(reason: string): Promise<number> {
    try {
      return await this.cancelAllAtBroker(reason);
    } catch (error) {
      this.router.brokerFailed(error, undefined);
      return 0;
    }
  }

  /** One cancel-all, evented once the broker answered it; rejects as the broker does. */
  private async cancelAllAtBroker(reason: string): Promise<number> {
    // A desk or engine kill cancels this engine's own orders only: the account's cancel-all would
    // take other desks' orders on a shared account (configured scope applies to a global kill).
    const deciding = this.killSwitch.decidingScope ?? GLOBAL_SCOPE;
    const count = await (reason === 'kill-switch-engaged' && deciding !== GLOBAL_SCOPE
      ? this.broker.cancelAll('own')
      : this.broker.cancelAll());
    this.bus.emit({
      type: 'OrdersCancelled',
      time: this.clock.now(),
      engineId: this.id,
      count,
      reason,
    });
    return count;
  }

  private killSwitchChanged(): void {
    const engaged = this.killSwitch.level === ENGAGED;
    if (engaged && !this.wasEngaged && this.cancelOpenOrdersOnEngage) {
      void this.cancelAllWhileEngaged();
    }
    this.wasEngaged = engaged;
  }

  /**
   * The engage's cancel-all never expires silently: retried (backing off to 2 s) until the venue
   * answers it, the switch is released or the engine stops. Each failure is a BrokerFailed event
   * with `operation: cancel-all-on-engage`, which the webhook alerts.
   */
  private async cancelAllWhileEngaged(): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.cancelAllAtBroker('kill-switch-engaged');
        return;
      } catch (error) {
        this.router.brokerFailed(error, undefined, attempt);
        if (this.killSwitch.level !== ENGAGED || !this.running) return;
        const delayMs = Math.min(2_000, 100 * 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
        if (this.killSwitch.level !== ENGAGED || !this.running) return;
      }
    }
  }

  private async shutDown(reason: 'feed-failed' | undefined): Promise<RunSummary> {
    this.unsubscribeKillSwitch?.();
    this.unsubscribeKillSwitch = undefined;
    this.reporter.stop();
    if (this.cancelOpenOrdersOnShutdown) await this.cancelAllOrders('shutdown');
    const summary = this.summary();
    this.bus.emit({
      type: 'RunStopped',
      time: this.clock.now(),
      engineId: this.id,
      runId: this.runId,
      reason: reason ?? (this.stopRequested ? 'stopped' : 'feed-ended'),
      summary,
    });
    await this.reporter.withdraw();
    await this.bus.flush();
    this.running = false;
    this.brokerConnected = false;
    return summary;
  }
}

function isMarketFeed(source: TickSource): source is MarketFeed {
  return typeof (source as Partial<MarketFeed>).ticks === 'function';
}

function isBatch(item: TickOrBatch): item is readonly Tick[] {
  return Array.isArray(item);
}

function isPromiseLike<T>(value: unknown): value is Promise<T> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new LivegateError('ERR_USAGE', `${name} must be an integer >= 1, got ${value}`);
  }
  return value;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

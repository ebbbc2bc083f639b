// The live loop: ticks in, three kill-switch gates, orders out. Everything here is the hot path.

import os from 'node:os';
import { systemClock, type Clock } from '../core/clock.js';
import { LivegateError } from '../core/errors.js';
import type { LivegateEvent, RunSummary } from '../core/events.js';
import { KillSwitchLevel } from '../core/kill-switch-record.js';
import type {
  Broker,
  EventSink,
  MarketFeed,
  SignalResult,
  Strategy,
  StrategyContext,
  TickOrBatch,
} from '../core/ports.js';
import type { Fill, Order, Signal, Tick } from '../core/types.js';
import type { RiskSnapshot } from '../core/risk-snapshot.js';
import type { KillSwitch } from '../killswitch/kill-switch.js';
import type { PreTradeRisk, TickObserver } from '../risk/risk-ports.js';
import { EngineCounters } from './engine-counters.js';
import { EngineReporter } from './engine-reporter.js';
import { EventBus } from './event-bus.js';
import { PositionBook } from './position-book.js';
import { signalProblem } from './signal-problem.js';

const ENGAGED = KillSwitchLevel.ENGAGED;
const REDUCING = KillSwitchLevel.REDUCING;
const TICK_BLOCKED_KEY = 'gate1:KILL_SWITCH_ENGAGED';
/** How many ticks of a batch run between two looks at the clock for yielding. */
const YIELD_CHECK_MASK = 63;

export interface LiveEngineOptions {
  readonly killSwitch: KillSwitch;
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
}

type TickSource = MarketFeed | AsyncIterable<TickOrBatch> | Iterable<TickOrBatch>;

export class LiveEngine {
  readonly id: string;
  readonly runId: string;
  private readonly killSwitch: KillSwitch;
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
  private consecutiveBrokerErrors = 0;
  private nextOrderNumber = 1;
  private stopRequested = false;
  private running = false;
  private activeFeed: MarketFeed | undefined;
  /** Fills reported synchronously inside submit() wait here so OrderSubmitted is journalled first. */
  private submitting = false;
  private readonly fillsDuringSubmit: Fill[] = [];

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
    this.bus = new EventBus(options.sinks ?? []);
    const preTradeRisk = this.preTradeRisk;
    if (preTradeRisk !== undefined) this.bus.subscribe((event) => preTradeRisk.onEvent(event));
    this.reporter = new EngineReporter({
      engineId: this.id,
      killSwitch: this.killSwitch,
      clock: this.clock,
      intervalMs: options.heartbeatIntervalMs ?? 1000,
      summary: () => this.summary(),
      ...(options.riskSnapshot === undefined ? {} : { riskSnapshot: options.riskSnapshot }),
      emit: (event) => this.bus.emit(event),
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
    await this.broker.connect({
      onFill: (fill) => this.fillReceived(fill),
      onReject: (orderId, reason) => this.orderRejected(orderId, reason),
    });
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
      await this.consume(ticks);
    } catch (error) {
      feedError = error;
    }
    const summary = await this.shutDown(feedError === undefined ? undefined : 'feed-failed');
    if (feedError !== undefined) {
      throw new LivegateError('ERR_FEED_FAILED', `feed failed: ${messageOf(feedError)}`, {
        cause: feedError,
      });
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
          this.handleSignals(signals, arrival);
        },
        (error: unknown) => this.strategyFailed(error, tick),
      );
    }
    this.consecutiveStrategyErrors = 0;
    this.handleSignals(result, arrival);
    return undefined;
  }

  private handleSignals(result: SignalResult, arrival: number): void {
    if (result === null || result === undefined) return;
    if (!isSignalList(result)) {
      const order = this.gateTwo(result);
      if (order !== null) this.gateThreeAndSubmit(order, arrival);
      return;
    }
    if (result.length === 0) return;
    // All signals pass gate 2 before any is submitted, so a change made during one submit
    // (a broker callback that engages) is caught at gate 3 for the rest.
    const orders: Order[] = [];
    for (const signal of result) {
      const order = this.gateTwo(signal);
      if (order !== null) orders.push(order);
    }
    for (const order of orders) this.gateThreeAndSubmit(order, arrival);
  }

  /** Gate 2: the signal becomes an order only if the switch and the pre-trade check allow it. */
  private gateTwo(signal: Signal): Order | null {
    const level = this.killSwitch.level;
    if (level === ENGAGED) return this.deny(2, 'KILL_SWITCH_ENGAGED', signal);
    const problem = signalProblem(signal);
    if (problem !== null) return this.deny(2, 'INVALID_SIGNAL', signal, { problem });
    if (
      level === REDUCING &&
      !this.positions.reducesExposure(signal.symbol, signal.side, signal.quantity)
    ) {
      return this.deny(2, 'KILL_SWITCH_REDUCING', signal);
    }
    if (this.preTradeRisk !== undefined) {
      const denial = this.preTradeRisk.check(
        signal,
        this.positions.position(signal.symbol),
        this.clock.now(),
      );
      if (denial !== null) return this.deny(2, denial.code, signal, denial.details);
    }
    return {
      id: `${this.runId}-${this.nextOrderNumber++}`,
      symbol: signal.symbol,
      side: signal.side,
      quantity: signal.quantity,
      type: signal.type,
      price: signal.price,
      tag: signal.tag,
      createdAt: this.clock.now(),
    };
  }

  /** Gate 3: the last look at the switch, with nothing between it and the broker call. */
  private gateThreeAndSubmit(order: Order, arrival: number): void {
    const level = this.killSwitch.level;
    if (level === ENGAGED) {
      this.deny(3, 'KILL_SWITCH_ENGAGED', order);
      return;
    }
    if (
      level === REDUCING &&
      !this.positions.reducesExposure(order.symbol, order.side, order.quantity)
    ) {
      this.deny(3, 'KILL_SWITCH_REDUCING', order);
      return;
    }
    const latencyNs = (this.clock.monotonic() - arrival) * 1e6;
    const revision = this.killSwitch.revision;
    this.submitting = true;
    let pending: void | Promise<void>;
    try {
      pending = this.broker.submit(order);
    } catch (error) {
      this.submitting = false;
      this.brokerFailed(error, order.id);
      this.releaseFillsDuringSubmit();
      return;
    }
    this.submitting = false;
    this.counters.latency.record(latencyNs);
    this.counters.ordersSubmitted++;
    this.bus.emit({
      type: 'OrderSubmitted',
      time: this.clock.now(),
      engineId: this.id,
      order,
      latencyNs,
      revision,
    });
    this.releaseFillsDuringSubmit();
    if (isPromiseLike(pending)) {
      pending.then(
        () => {
          this.consecutiveBrokerErrors = 0;
        },
        (error: unknown) => this.brokerFailed(error, order.id),
      );
    } else {
      this.consecutiveBrokerErrors = 0;
    }
  }

  private deny(
    gate: 2 | 3,
    code: string,
    signal: Signal | Order,
    details?: Readonly<Record<string, number | string>>,
  ): null {
    this.counters.ordersDenied++;
    this.counters.countBlock(`gate${gate}:${code}`);
    this.bus.emit({
      type: 'OrderDenied',
      time: this.clock.now(),
      engineId: this.id,
      gate,
      code,
      symbol: signal.symbol,
      side: signal.side,
      quantity: signal.quantity,
      price: signal.price,
      revision: this.killSwitch.revision,
      ...(details === undefined ? {} : { details }),
    });
    return null;
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

  private fillReceived(fill: Fill): void {
    if (this.submitting) {
      this.fillsDuringSubmit.push(fill);
      return;
    }
    this.counters.fills++;
    const position = this.positions.apply(fill);
    this.bus.emit({
      type: 'OrderFilled',
      time: this.clock.now(),
      engineId: this.id,
      fill,
      position,
    });
  }

  private releaseFillsDuringSubmit(): void {
    if (this.fillsDuringSubmit.length === 0) return;
    const fills = this.fillsDuringSubmit.splice(0);
    for (const fill of fills) this.fillReceived(fill);
  }

  private orderRejected(orderId: string, reason: string): void {
    this.bus.emit({
      type: 'OrderRejected',
      time: this.clock.now(),
      engineId: this.id,
      orderId,
      reason,
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

  private brokerFailed(error: unknown, orderId: string | undefined): void {
    this.counters.brokerErrors++;
    this.consecutiveBrokerErrors++;
    this.bus.emit({
      type: 'BrokerFailed',
      time: this.clock.now(),
      engineId: this.id,
      message: messageOf(error),
      orderId,
      consecutiveErrors: this.consecutiveBrokerErrors,
    });
    if (this.consecutiveBrokerErrors === this.maxConsecutiveErrors) {
      this.engageOnErrors(
        `${this.maxConsecutiveErrors} consecutive broker errors, last: ${messageOf(error)}`,
      );
    }
  }

  private engageOnErrors(reason: string): void {
    // The gates close synchronously inside engage(); a failed write is already fail-closed and evented.
    this.killSwitch.engage(reason, this.id, 'error').catch(() => undefined);
  }

  /**
   * Closes every position with market orders through gates 2 and 3 (so REDUCING lets them pass
   * and ENGAGED does not). Returns how many orders were submitted.
   */
  flatten(reason: string): number {
    const before = this.counters.ordersSubmitted;
    const arrival = this.clock.monotonic();
    for (const [symbol, quantity] of this.positions.entries()) {
      if (quantity === 0) continue;
      const signal: Signal = {
        symbol,
        side: quantity > 0 ? 'sell' : 'buy',
        quantity: Math.abs(quantity),
        type: 'market',
        tag: `flatten: ${reason}`,
      };
      const order = this.gateTwo(signal);
      if (order !== null) this.gateThreeAndSubmit(order, arrival);
    }
    return this.counters.ordersSubmitted - before;
  }

  /** Cancels every open order at the broker and says so in an event. */
  async cancelAllOrders(reason: string): Promise<number> {
    try {
      const count = await this.broker.cancelAll();
      this.bus.emit({
        type: 'OrdersCancelled',
        time: this.clock.now(),
        engineId: this.id,
        count,
        reason,
      });
      return count;
    } catch (error) {
      this.brokerFailed(error, undefined);
      return 0;
    }
  }

  private killSwitchChanged(): void {
    const engaged = this.killSwitch.level === ENGAGED;
    if (engaged && !this.wasEngaged && this.cancelOpenOrdersOnEngage) {
      void this.cancelAllOrders('kill-switch-engaged');
    }
    this.wasEngaged = engaged;
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
    return summary;
  }
}

function isMarketFeed(source: TickSource): source is MarketFeed {
  return typeof (source as Partial<MarketFeed>).ticks === 'function';
}

function isBatch(item: TickOrBatch): item is readonly Tick[] {
  return Array.isArray(item);
}

function isSignalList(result: Signal | readonly Signal[]): result is readonly Signal[] {
  return Array.isArray(result);
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

// Orders at a real venue through ccxt: idempotent submits, fills by polling, connectivity and
// dead-man reports, venue-wide cancel-all, and reconciliation of orders and spot balances.

import { OrderNotFound } from 'ccxt';
import { systemClock, type Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import type {
  Broker,
  BrokerListener,
  CancelScope,
  EarlierOrderOutcome,
  EarlierOrders,
  ReconciliationResult,
} from '../../core/ports.js';
import { signedQuantity, type Fill, type Order } from '../../core/types.js';
import { InterruptibleSleep } from '../feeds/interruptible-sleep.js';
import { backoffDelay, describeVendorError, isTransient } from './ccxt-errors.js';
import { VenueDeadMan } from './ccxt-dead-man.js';
import { CcxtEarlierOrders } from './ccxt-earlier-orders.js';
import { FillPoller } from './ccxt-fill-poller.js';
import { placeOrder, type PlacementContext } from './ccxt-order-placement.js';
import { OrderTracker, type TrackedOrder } from './ccxt-order-tracker.js';
import {
  balanceDifferences,
  comparableBaseCurrencies,
  readBalances,
  unknownOrderDifferences,
  vanishedOrderDifferences,
} from './ccxt-reconciliation.js';
import { validateVenueOrder } from './venue-order-checks.js';
import { cancelAllAtVenue } from './venue-calls.js';
import type { CcxtVenue } from './ccxt-venue.js';
import {
  resolveOptions,
  type CcxtBrokerOptions,
  type ResolvedBrokerOptions,
} from './ccxt-broker-options.js';

export type { CcxtBrokerOptions };
import { VenueLink } from './venue-link.js';
import { VenueRequestGate } from './venue-request-gate.js';

export class CcxtBroker implements Broker {
  readonly name: string;
  private readonly venue: CcxtVenue;
  private readonly clock: Clock;
  private readonly options: ResolvedBrokerOptions;
  private readonly tracker: OrderTracker;
  private readonly sleeper = new InterruptibleSleep();
  private readonly link: VenueLink;
  private readonly deadMan: VenueDeadMan;
  private readonly poller: FillPoller;
  private readonly requests: VenueRequestGate;
  private listener: BrokerListener | undefined;
  private closed = false;
  private pollTimer: NodeJS.Timeout | undefined;
  /** Bumped by cancelAll(): an order accepted after a cancel-all began is cancelled at once. */
  private cancelAllGeneration = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private balanceBaseline: Map<string, number> | undefined;
  /** Net signed fill quantity per symbol, delivered while a reconcile runs. */
  private fillsDuringReconcile: Map<string, number> | undefined;
  private pendingVanished: TrackedOrder[] = [];
  private readonly earlier: CcxtEarlierOrders;

  constructor(options: CcxtBrokerOptions) {
    this.venue = options.venue;
    this.name = `ccxt:${options.venue.name}`;
    this.clock = options.clock ?? systemClock;
    this.options = resolveOptions(options);
    this.tracker = new OrderTracker(this.options.clientOrderIdNamespace);
    this.link = new VenueLink(
      'broker',
      this.venue.name,
      this.options.failuresBeforeDisconnect,
      (r) => this.listener?.onVenueReport?.(r),
    );
    this.deadMan = new VenueDeadMan({
      exchange: this.venue.exchange,
      countdownMs: this.options.deadManCountdownMs,
      refreshEveryMs: this.options.deadManRefreshEveryMs,
      clock: this.clock,
      link: this.link,
    });
    this.requests = new VenueRequestGate(this.venue.exchange);
    this.poller = new FillPoller(
      this.venue,
      this.tracker,
      this.clock,
      (fill) => this.deliver(fill),
      (orderId, reason) => this.listener?.onOrderDone(orderId, reason),
    );
    this.earlier = new CcxtEarlierOrders(
      this.venue,
      this.options.clientOrderIdNamespace,
      (what, call) => this.withRetries(what, () => this.requests.urgent(call)),
    );
  }

  /** The earlier runs' orders (journal): a restart cancels those the venue still lists open. */
  recognise(earlier: EarlierOrders): void {
    this.earlier.recognise(earlier);
  }

  /** See Broker.cancelEarlierOrders (a fill racing the cancel is not counted here: see docs). */
  cancelEarlierOrders(): Promise<EarlierOrderOutcome[]> {
    return this.earlier.cancel();
  }

  async connect(listener: BrokerListener): Promise<void> {
    if (this.closed) throw brokerError(this.name, 'connect() after close()');
    if (!this.venue.hasCredentials) {
      throw brokerError(this.name, 'no API credentials (apiKey and secret are required to trade)');
    }
    this.listener = listener;
    await this.withRetries('loading markets', () => this.venue.load());
    if (this.venue.exchange.has.fetchBalance === true) {
      const groups = comparableBaseCurrencies(this.venue);
      this.balanceBaseline = await this.withRetries('reading balances', () =>
        readBalances(this.venue, groups.keys()),
      );
    }
    this.link.succeeded('markets loaded, balances read');
    await this.deadMan.arm();
    this.schedulePoll();
  }

  submit(order: Order): Promise<void> {
    if (this.listener === undefined || this.closed) {
      throw brokerError(
        this.name,
        `submit(${order.id}) ${this.closed ? 'after close()' : 'before connect()'}`,
      );
    }
    const listener = this.listener;
    const problem = this.tracker.has(order.id)
      ? 'DUPLICATE_ORDER_ID: this order id was submitted before'
      : validateVenueOrder(this.venue, order);
    if (problem !== null) {
      listener.onReject(order.id, problem);
      return Promise.resolve();
    }
    const work = this.place(order, listener);
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  async cancel(orderId: string): Promise<boolean> {
    const tracked = this.tracker.get(orderId);
    if (tracked === undefined || !tracked.open || tracked.venueId === undefined) return false;
    const venueId = tracked.venueId;
    this.poller.cancelledHere.add(tracked);
    try {
      await this.withRetries(`cancelling ${orderId}`, () =>
        this.venue.exchange.cancelOrder(venueId, tracked.order.symbol),
      );
    } catch (error) {
      // Gone already (filled or cancelled at the venue): late fills still arrive by polling.
      if (error instanceof LivegateError && error.cause instanceof OrderNotFound) {
        this.tracker.close(tracked, this.clock.now());
        this.schedulePoll(0);
        return false;
      }
      throw error;
    }
    this.tracker.close(tracked, this.clock.now());
    // The next poll reads the trades that came before the cancel, then reports the order done.
    this.schedulePoll(0);
    return true;
  }

  /**
   * The kill switch engaged: cancels every order at the venue (ours and any other; scope
   * `account`) or only ours (`own`); resolves to how many of ours were open.
   */
  cancelAll(scope: CancelScope = this.options.cancelScopeOnKill): Promise<number> {
    return this.cancelIn(scope);
  }

  private async cancelIn(scope: CancelScope): Promise<number> {
    this.cancelAllGeneration += 1;
    const open = this.tracker.open();
    for (const tracked of open) this.poller.cancelledHere.add(tracked);
    const exchange = this.venue.exchange;
    if (scope === 'account' && exchange.has.cancelAllOrders === true) {
      await this.withRetries('cancelling all orders', () =>
        this.requests.urgent(() => cancelAllAtVenue(this.venue.exchange, this.venue.symbols)),
      );
    } else {
      for (const tracked of open) await this.cancel(tracked.order.id);
    }
    for (const tracked of open) this.tracker.close(tracked, this.clock.now());
    this.schedulePoll(0);
    return open.length;
  }

  openOrders(): readonly Order[] {
    return this.tracker.openOrders();
  }

  /** Refreshes the venue's cancel-all-after countdown (at most every deadManRefreshEveryMs). */
  heartbeat(): Promise<void> {
    if (this.closed || this.listener === undefined) return Promise.resolve();
    return this.deadMan.refresh();
  }

  /**
   * Compares (1) open orders on our symbols at the venue with ours, (2) our orders the venue
   * closed without filling them and without our cancel, and (3) on spot markets, how far each
   * base currency's total balance moved since connect with the sum of the engine's positions in
   * the symbols of that base (fees charged in the base currency show up as a difference).
   */
  async reconcile(positions: ReadonlyMap<string, number>): Promise<ReconciliationResult> {
    const delivered = new Map<string, number>();
    this.fillsDuringReconcile = delivered;
    try {
      const groups = comparableBaseCurrencies(this.venue);
      const balances =
        this.balanceBaseline === undefined
          ? undefined
          : await this.withRetries('reading balances', () =>
              readBalances(this.venue, groups.keys()),
            );
      const polled = await this.withRetries('reading open orders', () => this.poller.poll());
      const known = this.tracker.knownClientOrderIds();
      const differences = [
        ...unknownOrderDifferences(
          polled.venueOpen,
          (order) =>
            (order.id !== undefined && this.tracker.byVenue(order.id) !== undefined) ||
            (order.clientOrderId !== undefined && known.has(order.clientOrderId)),
        ),
        ...vanishedOrderDifferences([...this.pendingVanished, ...polled.vanished]),
      ];
      this.pendingVanished = [];
      if (balances !== undefined && this.balanceBaseline !== undefined) {
        differences.push(
          ...balanceDifferences({
            groups,
            baseline: this.balanceBaseline,
            now: balances,
            position: (symbol) => (positions.get(symbol) ?? 0) + (delivered.get(symbol) ?? 0),
            tolerance: (symbols) =>
              Math.min(
                ...symbols.map((symbol) => this.venue.instrumentLimits(symbol).lotSize ?? 1e-8),
              ) / 2,
          }),
        );
      }
      return { matched: differences.length === 0, differences };
    } finally {
      this.fillsDuringReconcile = undefined;
    }
  }

  /** Cancels our open orders (cancelOrdersOnClose), then disarms the venue's dead-man switch. */
  lastMessageAt(): number | undefined {
    return this.link.lastSuccessAt;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.pollTimer);
    this.sleeper.wakeAll();
    await Promise.allSettled([...this.inFlight]);
    if (this.listener !== undefined) {
      if (this.options.cancelOrdersOnClose && this.tracker.open().length > 0) {
        await this.cancelIn(this.options.cancelScopeOnShutdown).catch((error: unknown) => {
          this.link.emit(
            'disconnected',
            `cancelling open orders on close failed: ${describeVendorError(error)}`,
          );
        });
      }
      await this.deadMan.disarm();
    }
    this.listener = undefined;
  }

  private async place(order: Order, listener: BrokerListener): Promise<void> {
    const tracked = this.tracker.track(order);
    const generation = this.cancelAllGeneration;
    const placement = await placeOrder(this.placementContext(), order, tracked.clientOrderId);
    if (placement.kind === 'rejected') {
      this.tracker.forget(tracked);
      if (placement.unreachable) this.link.failed(placement.detail, true);
      listener.onReject(order.id, `${placement.code}: ${placement.detail}`);
      return;
    }
    this.tracker.accepted(tracked, placement.venueId, this.clock.now());
    if (generation !== this.cancelAllGeneration || this.closed) {
      // cancelAll() ran while this order was on its way: it must not outlive it.
      await this.cancel(order.id).catch(() => undefined);
    }
    this.schedulePoll(0);
  }

  private placementContext(): PlacementContext {
    return {
      exchange: this.venue.exchange,
      maxAttempts: this.options.maxAttempts,
      backoff: {
        initialDelayMs: this.options.retryInitialDelayMs,
        maxDelayMs: this.options.retryMaxDelayMs,
      },
      sleep: (milliseconds) => this.sleeper.sleep(milliseconds),
      now: () => this.clock.now(),
      attemptFailed: (error) => this.link.failed(describeVendorError(error)),
      attemptSucceeded: () => this.link.succeeded(),
      mayDepart: (order) => this.listener?.mayDepart?.(order) ?? true,
      depart: (order, send) =>
        this.requests.order(() => this.listener?.mayDepart?.(order) ?? true, send),
    };
  }

  private deliver(fill: Fill): void {
    if (this.fillsDuringReconcile !== undefined) {
      const net = this.fillsDuringReconcile.get(fill.symbol) ?? 0;
      this.fillsDuringReconcile.set(fill.symbol, net + signedQuantity(fill.side, fill.quantity));
    }
    this.listener?.onFill(fill);
  }

  /** Polls again after `delayMs` while any order can still fill; one timer at a time. */
  private schedulePoll(delayMs = this.options.fillPollIntervalMs): void {
    if (this.closed) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.pollTick(), delayMs);
    this.pollTimer.unref();
  }

  private async pollTick(): Promise<void> {
    if (this.closed) return;
    if (this.tracker.watched().length > 0) {
      try {
        const result = await this.poller.poll();
        this.pendingVanished.push(...result.vanished);
        this.link.succeeded();
      } catch (error) {
        this.link.failed(`polling fills: ${describeVendorError(error)}`);
      }
    }
    this.schedulePoll();
  }

  /** Runs `call`, retrying transient failures with backoff; ERR_BROKER_FAILED once out of tries. */
  private async withRetries<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await call();
        this.link.succeeded();
        return result;
      } catch (error) {
        const retry = isTransient(error) && attempt < this.options.maxAttempts && !this.closed;
        if (isTransient(error)) this.link.failed(`${what}: ${describeVendorError(error)}`, !retry);
        if (!retry) {
          throw brokerError(this.name, `${what} failed: ${describeVendorError(error)}`, error);
        }
        await this.sleeper.sleep(
          backoffDelay(attempt, {
            initialDelayMs: this.options.retryInitialDelayMs,
            maxDelayMs: this.options.retryMaxDelayMs,
          }),
        );
      }
    }
  }
}

function brokerError(name: string, message: string, cause?: unknown): LivegateError {
  return new LivegateError('ERR_BROKER_FAILED', `${name}: ${message}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { broker: name },
  });
}

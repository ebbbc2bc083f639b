// Gates 2 and 3 and the broker boundary: signals become orders, orders reach the broker, fills come back.

import type { Clock } from '../core/clock.js';
import { KillSwitchLevel } from '../core/kill-switch-record.js';
import type {
  Broker,
  BrokerListener,
  OrderDoneReason,
  SignalResult,
  VenueReport,
} from '../core/ports.js';
import type { Fill, Order, Signal } from '../core/types.js';
import type { EnforcedKillSwitch } from '../killswitch/enforced-kill-switch.js';
import type { PreTradeRisk } from '../risk/risk-ports.js';
import type { EngineCounters } from './engine-counters.js';
import type { EventBus } from './event-bus.js';
import type { PositionBook } from './position-book.js';
import { signalProblem } from './signal-problem.js';

const ENGAGED = KillSwitchLevel.ENGAGED;
const REDUCING = KillSwitchLevel.REDUCING;

/** A state gate 3 trusts only until a read of its store vouches for it (the live limits). */
export interface LeasedState {
  /** Monotonic ms until which the last read vouches for the state. */
  readonly leaseExpiresAt: number;
  /** Reads the store now (no-op while a read is in flight; never throws). */
  refresh(): void;
}

/** For an engine with no live limits: its config's limits cannot go stale. */
export const UNLEASED_LIMITS: LeasedState = Object.freeze({
  leaseExpiresAt: Number.POSITIVE_INFINITY,
  refresh: () => undefined,
});

export interface OrderRouterOptions {
  readonly engineId: string;
  readonly runId: string;
  readonly killSwitch: EnforcedKillSwitch;
  readonly broker: Broker;
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly counters: EngineCounters;
  readonly positions: PositionBook;
  readonly preTradeRisk: PreTradeRisk | undefined;
  /**
   * The live limits' lease: an order judged on limits not re-read within the lease is denied
   * LIMITS_STATE_STALE at gate 3 (UNLEASED_LIMITS when the engine follows no live limits).
   */
  readonly limitsLease: LeasedState;
  readonly maxConsecutiveErrors: number;
  /** Called once when broker errors in a row reach the maximum. */
  readonly onTooManyErrors: (reason: string) => void;
}

/** Hot path: everything here runs for every signal; the gate checks read one integer field. */
export class OrderRouter {
  private readonly id: string;
  private readonly runId: string;
  private readonly killSwitch: EnforcedKillSwitch;
  private readonly broker: Broker;
  private readonly clock: Clock;
  private readonly bus: EventBus;
  private readonly counters: EngineCounters;
  private readonly positions: PositionBook;
  private readonly preTradeRisk: PreTradeRisk | undefined;
  private readonly limitsLease: LeasedState;
  private readonly maxConsecutiveErrors: number;
  private readonly onTooManyErrors: (reason: string) => void;
  private consecutiveBrokerErrors = 0;
  /** Ids submitted by the flatten in progress, then the last flatten's orders still to watch. */
  private flattening: string[] | undefined;
  private flattenOrders: string[] = [];
  /** Working orders gate 3 let through as reducing: in REDUCING, only these may still leave. */
  private readonly admittedReducing = new Set<string>();
  private nextOrderNumber = 1;
  /** Fills reported synchronously inside submit() wait here so OrderSubmitted is journalled first. */
  private submitting = false;
  private readonly fillsDuringSubmit: Fill[] = [];

  constructor(options: OrderRouterOptions) {
    this.id = options.engineId;
    this.runId = options.runId;
    this.killSwitch = options.killSwitch;
    this.broker = options.broker;
    this.clock = options.clock;
    this.bus = options.bus;
    this.counters = options.counters;
    this.positions = options.positions;
    this.preTradeRisk = options.preTradeRisk;
    this.limitsLease = options.limitsLease;
    this.maxConsecutiveErrors = options.maxConsecutiveErrors;
    this.onTooManyErrors = options.onTooManyErrors;
  }

  /** What the broker calls back. */
  listener(): BrokerListener {
    return {
      onFill: (fill) => this.fillReceived(fill),
      onReject: (orderId, reason) => this.orderRejected(orderId, reason),
      onOrderDone: (orderId, reason) => this.orderDone(orderId, reason),
      onVenueReport: (report) => this.venueReported(report),
      mayResend: () => this.mayResend(),
      mayDepart: (order) => this.mayDepart(order),
    };
  }

  /**
   * Gate 3 for an order the broker would send again after a lost connection: only while SAFE on a
   * fresh state. In REDUCING it is not re-judged (it is already counted as working); the broker
   * asks for its status instead, so nothing the venue might place goes out.
   */
  private mayResend(): boolean {
    if (this.killSwitch.level !== KillSwitchLevel.SAFE) return false;
    return this.leasesHold();
  }

  /** Gate 3 again for an order that waited in the broker: see BrokerListener.mayDepart. */
  private mayDepart(order: Order): boolean {
    const level = this.killSwitch.level;
    if (level === ENGAGED) return false;
    if (level === REDUCING && !this.admittedReducing.has(order.id)) return false;
    return this.leasesHold();
  }

  /** Both leases current; a stale one is re-read at once. */
  private leasesHold(): boolean {
    const now = this.clock.monotonic();
    if (now > this.killSwitch.leaseExpiresAt) {
      this.killSwitch.refresh();
      return false;
    }
    if (now > this.limitsLease.leaseExpiresAt) {
      this.limitsLease.refresh();
      return false;
    }
    return true;
  }

  /** A venue fact from the broker (or the feed, through the engine) onto the bus. */
  venueReported(report: VenueReport): void {
    this.bus.emit({
      type: 'VenueReported',
      time: this.clock.now(),
      engineId: this.id,
      source: report.source,
      venue: report.venue,
      kind: report.kind,
      detail: report.detail,
      ...(report.symbol === undefined ? {} : { symbol: report.symbol }),
    });
  }

  /** Routes a strategy's result through gates 2 and 3 to the broker. */
  route(result: SignalResult, arrival: number): void {
    if (result === null || result === undefined) return;
    if (!isSignalList(result)) {
      const order = this.gateTwo(result);
      if (order !== null) this.gateThreeAndSubmit(order, arrival);
      return;
    }
    // One signal through both gates before the next is judged: each must see the orders before
    // it as working (position, exposure, open orders), and any change their submits caused.
    for (let index = 0; index < result.length; index++) {
      const order = this.gateTwo(result[index]!);
      if (order !== null) this.gateThreeAndSubmit(order, arrival);
    }
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
    // The leases: one clock read and two compares per order. A level older than the last read's
    // lease may predate a kill (a strategy that stalled past it), so it is not trusted; limits
    // older than theirs may predate a tighter revision (gate 2 judged this order on them).
    const now = this.clock.monotonic();
    if (now > this.killSwitch.leaseExpiresAt) {
      this.deny(3, 'KILL_SWITCH_STATE_STALE', order);
      this.killSwitch.refresh();
      return;
    }
    if (now > this.limitsLease.leaseExpiresAt) {
      this.deny(3, 'LIMITS_STATE_STALE', order);
      this.limitsLease.refresh();
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
    // Working from now until a fill, a reject, a cancel or an expiry says it is done.
    this.positions.orderSubmitted(order);
    this.flattening?.push(order.id);
    if (level === REDUCING) this.admittedReducing.add(order.id);
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

  private fillReceived(fill: Fill): void {
    if (this.submitting) {
      this.fillsDuringSubmit.push(fill);
      return;
    }
    this.counters.fills++;
    const position = this.positions.apply(fill);
    if (this.admittedReducing.size > 0 && !this.positions.isWorking(fill.orderId)) {
      this.admittedReducing.delete(fill.orderId);
    }
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
    this.positions.orderDone(orderId);
    this.admittedReducing.delete(orderId);
    this.bus.emit({
      type: 'OrderRejected',
      time: this.clock.now(),
      engineId: this.id,
      orderId,
      reason,
    });
  }

  private orderDone(orderId: string, reason: OrderDoneReason): void {
    this.positions.orderDone(orderId);
    this.admittedReducing.delete(orderId);
    this.bus.emit({
      type: 'OrderDone',
      time: this.clock.now(),
      engineId: this.id,
      orderId,
      reason,
    });
  }

  brokerFailed(error: unknown, orderId: string | undefined, cancelAllAttempt?: number): void {
    this.counters.brokerErrors++;
    this.consecutiveBrokerErrors++;
    this.bus.emit({
      type: 'BrokerFailed',
      time: this.clock.now(),
      engineId: this.id,
      message: messageOf(error),
      orderId,
      consecutiveErrors: this.consecutiveBrokerErrors,
      ...(cancelAllAttempt === undefined
        ? {}
        : { operation: 'cancel-all-on-engage' as const, attempt: cancelAllAttempt }),
    });
    if (this.consecutiveBrokerErrors === this.maxConsecutiveErrors) {
      this.onTooManyErrors(
        `${this.maxConsecutiveErrors} consecutive broker errors, last: ${messageOf(error)}`,
      );
    }
  }

  /**
   * Closes every position with market orders through gates 2 and 3 (so REDUCING lets them pass
   * and ENGAGED does not). Working orders that already close part of a position are counted, so
   * the flatten never overshoots if they fill. Returns how many orders were submitted. `only`
   * limits it to some symbols (a trading window's flatten phase).
   */
  flatten(reason: string, only?: (symbol: string) => boolean): number {
    const before = this.counters.ordersSubmitted;
    const arrival = this.clock.monotonic();
    // Only a full flatten (the risk monitor's) is the one flattenOrdersWorking() reports on.
    const tracked = only === undefined;
    if (tracked) this.flattening = [];
    for (const symbol of [...this.positions.symbols()]) {
      if (only !== undefined && !only(symbol)) continue;
      const quantity = this.positions.closingQuantity(symbol);
      if (quantity === 0) continue;
      const signal: Signal = {
        symbol,
        side: quantity > 0 ? 'buy' : 'sell',
        quantity: Math.abs(quantity),
        type: 'market',
        tag: `flatten: ${reason}`,
      };
      const order = this.gateTwo(signal);
      if (order !== null) this.gateThreeAndSubmit(order, arrival);
    }
    if (!tracked) return this.counters.ordersSubmitted - before;
    const submitted = this.flattening ?? [];
    this.flattening = undefined;
    this.flattenOrders = submitted.filter((id) => this.positions.isWorking(id));
    return this.counters.ordersSubmitted - before;
  }

  /** The last flatten's orders that are still working (not yet filled, rejected or ended). */
  flattenOrdersWorking(): number {
    this.flattenOrders = this.flattenOrders.filter((id) => this.positions.isWorking(id));
    return this.flattenOrders.length;
  }
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Everything the engine tells the outside world, as past-tense facts. Sinks (journal, logs) consume these.

import type { LimitsDiffEntry } from './limits-record.js';
import type { EngineReport, KillSwitchRecord, KillSwitchState } from './kill-switch-record.js';
import type { RiskAction, TradingWindowPhase } from './risk-snapshot.js';
import type { RiskState } from './risk-state.js';
import type { OrderDoneReason, VenueReport } from './ports.js';
import type { Fill, Order, Side, Tick } from './types.js';

/** Gate 1 runs before the strategy, gate 2 before a signal becomes an order, gate 3 just before submit. */
export type Gate = 1 | 2 | 3;

interface EventBase {
  /** Epoch ms. */
  readonly time: number;
  readonly engineId: string;
}

export interface RunStarted extends EventBase {
  readonly type: 'RunStarted';
  readonly runId: string;
  readonly feed: string;
  readonly strategy: string;
  readonly broker: string;
  readonly killSwitchStore: string;
  readonly state: KillSwitchState;
  readonly revision: number;
}

export interface RunStopped extends EventBase {
  readonly type: 'RunStopped';
  readonly runId: string;
  readonly reason: 'feed-ended' | 'stopped' | 'feed-failed';
  readonly summary: RunSummary;
}

export interface TickBlocked extends EventBase {
  readonly type: 'TickBlocked';
  readonly gate: 1;
  readonly reason: 'KILL_SWITCH_ENGAGED';
  readonly symbol: string;
  readonly revision: number;
}

export interface OrderDenied extends EventBase {
  readonly type: 'OrderDenied';
  readonly gate: 2 | 3;
  /** Stable code: KILL_SWITCH_ENGAGED, KILL_SWITCH_REDUCING, INVALID_SIGNAL, or a risk code. */
  readonly code: string;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly price: number | undefined;
  readonly revision: number;
  /** Numbers behind a risk denial (limit, actual...). */
  readonly details?: Readonly<Record<string, number | string>>;
}

export interface OrderSubmitted extends EventBase {
  readonly type: 'OrderSubmitted';
  readonly order: Order;
  /** Tick arrival to order handed to the broker, nanoseconds. */
  readonly latencyNs: number;
  /** Kill-switch revision in force when gate 3 passed it. */
  readonly revision: number;
}

export interface OrderFilled extends EventBase {
  readonly type: 'OrderFilled';
  readonly fill: Fill;
  /** Signed position in the symbol after the fill. */
  readonly position: number;
}

export interface OrderRejected extends EventBase {
  readonly type: 'OrderRejected';
  readonly orderId: string;
  readonly reason: string;
}

/** A working order ended unfilled or part-filled (cancelled or expired): it no longer counts. */
export interface OrderDone extends EventBase {
  readonly type: 'OrderDone';
  readonly orderId: string;
  readonly reason: OrderDoneReason;
}

export interface OrdersCancelled extends EventBase {
  readonly type: 'OrdersCancelled';
  readonly count: number;
  readonly reason: string;
}

export interface KillSwitchChanged extends EventBase {
  readonly type: 'KillSwitchChanged';
  readonly record: KillSwitchRecord;
  readonly previousState: KillSwitchState;
  /** The state the gates enforce from now on. */
  readonly enforcedState: KillSwitchState;
}

export interface KillSwitchFailedClosed extends EventBase {
  readonly type: 'KillSwitchFailedClosed';
  /** Why the gates closed by themselves: `state-unreadable`, `store-unreachable` or `state-write-failed`. */
  readonly trigger: string;
  readonly errorCode: string;
  readonly message: string;
}

export interface StrategyFailed extends EventBase {
  readonly type: 'StrategyFailed';
  readonly message: string;
  /** The tick the strategy failed on, so the failure can be replayed. */
  readonly tick: Tick;
  readonly consecutiveErrors: number;
}

export interface BrokerFailed extends EventBase {
  readonly type: 'BrokerFailed';
  readonly message: string;
  readonly orderId: string | undefined;
  readonly consecutiveErrors: number;
  /** Set for the cancel-all of an engage, which is retried until the venue answers it (alerted). */
  readonly operation?: 'cancel-all-on-engage';
  /** Which attempt of that cancel-all failed (1, 2, ...). */
  readonly attempt?: number;
}

/** A risk rule crossed its threshold; `action` says what the monitor did about it. */
export interface RiskLimitBreached extends EventBase {
  readonly type: 'RiskLimitBreached';
  readonly rule: string;
  readonly action: RiskAction;
  readonly value: number;
  readonly threshold: number;
  readonly message: string;
}

/**
 * A rule's value reached a warning level (50, 75, 90 % of its threshold by default) before it
 * trips: once per level per episode (the level warns again after the value fell 10 points below it).
 */
export interface RiskLimitApproached extends EventBase {
  readonly type: 'RiskLimitApproached';
  readonly rule: string;
  /** What the rule will do at 100 %. */
  readonly action: RiskAction;
  /** The warning level reached, as a fraction of the threshold (0.5, 0.75, 0.9). */
  readonly level: number;
  readonly value: number;
  readonly threshold: number;
  /** value / threshold. */
  readonly utilization: number;
  readonly message: string;
}

/**
 * A trading window (risk.tradingWindows) changed phase, or its phase when the run started: from
 * `flattening` and `closed`, orders that add exposure in its symbols are denied.
 */
export interface TradingWindowChanged extends EventBase {
  readonly type: 'TradingWindowChanged';
  /** `default` or the symbol the window is configured for. */
  readonly window: string;
  readonly phase: TradingWindowPhase;
  /** null when this is the phase at the start of the run. */
  readonly previousPhase: TradingWindowPhase | null;
  readonly timeZone: string;
  /** Epoch ms, or null (while open, or none within a week). */
  readonly nextOpen: number | null;
  readonly nextClose: number | null;
  readonly message: string;
}

/** A venue adapter's connectivity or data-quality fact (see VenueReport in ports.ts). */
export interface VenueReported extends EventBase {
  readonly type: 'VenueReported';
  readonly source: 'feed' | 'broker';
  readonly venue: string;
  readonly kind: VenueReport['kind'];
  readonly detail: string;
  readonly symbol?: string;
}

/** The journal stopped writing for the rest of the run (disk full, its reserve reached, a write error). */
export interface JournalFailed extends EventBase {
  readonly type: 'JournalFailed';
  /** What the engine does about it: `engage` the kill switch (the default) or only `alert`. */
  readonly action: 'engage' | 'alert';
  readonly errorCode: string;
  readonly message: string;
}

/** The monitor's restorable state, after every fill and when the peak, day or open rules change. */
export interface RiskStateRecorded extends EventBase {
  readonly type: 'RiskStateRecorded';
  readonly state: RiskState;
}

/** At start: the risk state this engine took over from its journal (and, on a venue, corrected). */
export interface RiskStateRestored extends EventBase {
  readonly type: 'RiskStateRestored';
  /** Where the last recorded state was (journal file and its seq), or null when the journal had none. */
  readonly from: { readonly file: string; readonly seq: number; readonly time: number } | null;
  /** Fills journaled after that state (a stop between a fill and its record), applied on top. */
  readonly fillsReplayed: number;
  /** A last line cut short by a crash, skipped. */
  readonly tornLines: number;
  /** False when the recorded trading day is over: the day's P&L starts again at zero. */
  readonly sameTradingDay: boolean;
  readonly state: RiskState;
  readonly message: string;
}

/**
 * At start, the venue's positions differed from the ones this engine restored (fills while it was
 * down, a position changed by hand): the venue wins, and this says what changed.
 */
export interface VenuePositionsAdopted extends EventBase {
  readonly type: 'VenuePositionsAdopted';
  readonly venue: string;
  readonly changes: readonly {
    readonly symbol: string;
    readonly before: number;
    readonly after: number;
  }[];
  readonly message: string;
}

/**
 * At start, before trading: an order an earlier run of this engine id left resting at the venue
 * (a crash) was cancelled there, since no strategy manages it any more. Fills it had are counted.
 */
export interface EarlierOrderCancelled extends EventBase {
  readonly type: 'EarlierOrderCancelled';
  readonly venue: string;
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  /** What was still open of it at the venue when it was cancelled. */
  readonly leftQuantity: number;
  readonly message: string;
}

/** This engine enforces a live limits revision from the store (at start, or changed while running). */
export interface LimitsApplied extends EventBase {
  readonly type: 'LimitsApplied';
  readonly revision: number;
  /** `start`: the stored revision replaced the config's limits; `change`: a new revision arrived. */
  readonly when: 'start' | 'change';
  readonly by: string;
  readonly reason: string;
  readonly diff: readonly LimitsDiffEntry[];
  readonly message: string;
}

/** A stored limits revision this engine could not apply: it keeps the limits it enforced. */
export interface LimitsApplyFailed extends EventBase {
  readonly type: 'LimitsApplyFailed';
  /** 0 when the store could not be read at all. */
  readonly revision: number;
  readonly errorCode: string;
  readonly message: string;
}

export interface Heartbeat extends EventBase {
  readonly type: 'Heartbeat';
  readonly report: EngineReport;
}

export type LivegateEvent =
  | RunStarted
  | RunStopped
  | TickBlocked
  | OrderDenied
  | OrderSubmitted
  | OrderFilled
  | OrderRejected
  | OrderDone
  | OrdersCancelled
  | KillSwitchChanged
  | KillSwitchFailedClosed
  | StrategyFailed
  | BrokerFailed
  | RiskLimitBreached
  | RiskLimitApproached
  | TradingWindowChanged
  | VenueReported
  | JournalFailed
  | Heartbeat
  | RiskStateRecorded
  | RiskStateRestored
  | VenuePositionsAdopted
  | EarlierOrderCancelled
  | LimitsApplied
  | LimitsApplyFailed;

export type LivegateEventType = LivegateEvent['type'];

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface RunSummary {
  readonly ticks: number;
  readonly ticksProcessed: number;
  readonly ticksBlocked: number;
  readonly ordersSubmitted: number;
  readonly ordersDenied: number;
  readonly fills: number;
  readonly strategyErrors: number;
  readonly brokerErrors: number;
  /** Denials and blocks by `gate<n>:<code>`. */
  readonly blocks: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  readonly ticksPerSecond: number;
  /** Tick-to-order latency in nanoseconds. */
  readonly latencyNs: LatencySummary;
  readonly state: KillSwitchState;
  readonly revision: number;
}

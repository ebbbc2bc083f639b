// The outside world on one page: every adapter implements one of these, and nothing here names a vendor.

import type { LivegateError } from './errors.js';
import type { LivegateEvent } from './events.js';
import type {
  EngineReport,
  KillSwitchChange,
  KillSwitchRecord,
  KillSwitchState,
} from './kill-switch-record.js';
import type { LimitsRecord } from './limits-record.js';
import type { Fill, Order, Side, Signal, Tick } from './types.js';

/** Ticks arrive one at a time or in batches; batches let fast sources skip per-tick awaits. */
export type TickOrBatch = Tick | readonly Tick[];

/**
 * A fact an adapter reports about its venue connection or data quality. The engine turns each
 * into a `VenueReported` event, which the risk monitor acts on (a lost gateway is a disconnected
 * broker; a gap or a stale stream is bad data).
 */
export interface VenueReport {
  readonly source: 'feed' | 'broker';
  /** The venue or gateway name (`kraken`, `ws://gateway:9000`). */
  readonly venue: string;
  readonly kind:
    | 'connected'
    | 'disconnected'
    | 'sequence-gap'
    | 'stale'
    | 'malformed-message'
    | 'reconciliation-mismatch'
    | 'dead-man-armed'
    | 'dead-man-failed'
    /** A dial-in gateway connection refused (wrong token, the session held by another gateway). */
    | 'connection-refused';
  readonly detail: string;
  readonly symbol?: string;
}

export interface VenueListener {
  onVenueReport(report: VenueReport): void;
}

export interface MarketFeed {
  readonly name: string;
  ticks(): AsyncIterable<TickOrBatch>;
  close(): Promise<void>;
  /** Feeds that talk to a venue report connectivity and gaps here (the engine attaches before ticks()). */
  attach?(listener: VenueListener): void;
}

/** What a strategy may look at and do while handling a tick. */
export interface StrategyContext {
  readonly engineId: string;
  /** Signed position in a symbol (0 if flat). */
  position(symbol: string): number;
  /** The state the gates enforce right now. */
  killSwitchState(): KillSwitchState;
  /** Tighten the kill switch from inside a strategy (applied to the gates before this returns). */
  engageKillSwitch(reason: string): Promise<void>;
  /** Epoch ms. */
  now(): number;
}

export type SignalResult = Signal | readonly Signal[] | null | undefined | void;

export interface Strategy {
  readonly name: string;
  onTick(tick: Tick, context: StrategyContext): SignalResult | Promise<SignalResult>;
  close?(): Promise<void>;
}

/**
 * Why a working order ended without filling completely: `cancelled` on livegate's request (a
 * cancel, a cancel-all), `expired` when the venue ended it on its own (time in force, a venue
 * cancel, gone from the venue's book unfilled).
 */
export type OrderDoneReason = 'cancelled' | 'expired';

/** How a broker reports back; the engine supplies it on connect. */
export interface BrokerListener {
  /** Partial fills too: an order works until fills reach its quantity or it is done. */
  onFill(fill: Fill): void;
  onReject(orderId: string, reason: string): void;
  /**
   * An order the broker accepted ended unfilled or part-filled: what remained will never fill.
   * Once per order, after every fill the broker knows of for it; the engine counts the order's
   * remaining quantity as exposure until this, a reject or its last fill.
   */
  onOrderDone(orderId: string, reason: OrderDoneReason): void;
  /** Connectivity, reconciliation and dead-man facts (venue brokers; the paper broker has none). */
  onVenueReport?(report: VenueReport): void;
  /**
   * Gate 3 for an order sent again after a lost connection, asked at that moment: false while the
   * kill switch forbids it (ENGAGED, REDUCING that it does not reduce, a stale state). A broker
   * then sends nothing that the venue might place, and asks for the order's status instead.
   */
  mayResend?(order: Order): boolean;
  /**
   * Gate 3 for an order that waited inside the broker (a venue's rate-limit queue, a retry's
   * backoff), asked as it is about to leave: true only on a fresh state that is SAFE, or REDUCING
   * for an order gate 3 let through as reducing. False: the broker sends nothing and rejects it.
   */
  mayDepart?(order: Order): boolean;
}

/** Orders and positions at the venue against the engine's own, from `Broker.reconcile`. */
export interface ReconciliationResult {
  readonly matched: boolean;
  /** One line per difference (`order X open at the venue, unknown here`...). */
  readonly differences: readonly string[];
  /**
   * The venue's filled position per symbol, when it reports positions outright (the gateway does;
   * ccxt, which sees only balances, does not): at start, the engine takes these over.
   */
  readonly venuePositions?: ReadonlyMap<string, number>;
  /** Which `differences` are about a position, by symbol (dropped once the venue's is taken over). */
  readonly positionDifferences?: ReadonlyMap<string, string>;
}

/** What an engine's journal says its earlier runs sent, so a restart knows their late reports. */
export interface EarlierOrders {
  /** Orders the earlier runs of this engine id submitted, oldest first. */
  readonly orders: readonly Order[];
  /** Execution ids of the fills already journaled (and so already in the restored positions). */
  readonly executionIds: readonly string[];
}

/**
 * An order of an earlier run of this engine id that the venue still listed open at start, and what
 * the broker's cancel of it came to (`cancelled`: the venue no longer lists it).
 */
export interface EarlierOrderOutcome {
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  /** The order's own quantity. */
  readonly quantity: number;
  /**
   * What was left unfilled when the cancel was confirmed (FIX: the cancel report's OrderQty minus
   * CumQty); where the venue's confirmation does not say, what it listed open when it was found.
   */
  readonly leftQuantity: number;
  readonly cancelled: boolean;
  /** Why the cancel is not confirmed (the venue's refusal, a timeout), when it is not. */
  readonly problem?: string;
}

export interface Broker {
  readonly name: string;
  /**
   * Before connect(): the earlier runs' orders. A venue that replays their reports after a
   * restart (FIX resend) has those fills applied once, not flagged as someone else's.
   */
  recognise?(earlier: EarlierOrders): void;
  connect(listener: BrokerListener): Promise<void>;
  /**
   * After connect(), before the engine trades: cancels the earlier runs' orders (see recognise)
   * that the venue still lists open, since no strategy manages them any more, and confirms each by
   * reading the venue's open orders back. Bounded by the broker's request timeout; rejects when
   * the venue's open orders cannot be listed at all.
   */
  cancelEarlierOrders?(): Promise<readonly EarlierOrderOutcome[]>;
  /** May call the listener synchronously (a paper fill) before returning. */
  submit(order: Order): void | Promise<void>;
  cancel(orderId: string): Promise<boolean>;
  /** Cancels every open order; resolves to how many were cancelled. */
  /** `scope` overrides the broker's configured kill scope (`own`: only this engine's orders). */
  cancelAll(scope?: CancelScope): Promise<number>;
  openOrders(): readonly Order[];
  /** Market data for brokers that simulate fills (paper). */
  observeTick?(tick: Tick): void;
  /**
   * Called with every engine heartbeat: a venue broker refreshes the venue's own dead-man switch
   * (cancel-all-after) here, so a hung or killed engine's orders are cancelled by the venue.
   */
  heartbeat?(): Promise<void>;
  /** Epoch ms of the last answer or message from the venue (for `livegate status`); venue brokers only. */
  lastMessageAt?(): number | undefined;
  /** Compares open orders and positions at the venue with `positions` (the engine's, by symbol). */
  reconcile?(positions: ReadonlyMap<string, number>): Promise<ReconciliationResult>;
  close(): Promise<void>;
}

/** Whose orders a venue cancel-all cancels: every order on the account, or only livegate's. */
export type CancelScope = 'account' | 'own';

/** An order open at the venue, as the venue lists it. */
export interface VenueOpenOrder {
  readonly venueOrderId: string;
  readonly clientOrderId?: string;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly price?: number;
  /** Placed by livegate (its client order id), not by hand or by another system. */
  readonly own: boolean;
}

/** One execution at the venue, from its trade history. */
export interface VenueTrade {
  readonly tradeId: string;
  readonly venueOrderId?: string;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly price: number;
  /** Epoch ms, the venue's clock. */
  readonly time: number;
}

/** A net position at the venue (spot: the base currency's balance; signed, long > 0). */
export interface VenuePosition {
  readonly symbol: string;
  readonly quantity: number;
}

/**
 * The market itself, reached without any engine: what a kill uses to cancel and to read back.
 * Built from the config with its own credentials; one per configured venue. A call that another
 * round cannot help rejects with finalVenueError (errors.ts): the kill stops there with the reason.
 */
export interface VenueCanceller {
  readonly name: string;
  /** Sends the venue's cancel-all for `scope`; resolves to how many orders it says it cancelled. */
  cancelAll(scope: CancelScope): Promise<number>;
  /** Every order open at the venue (on the account), each marked `own` or not. */
  openOrders(): Promise<VenueOpenOrder[]>;
  /** Trades since `time` (epoch ms); undefined when the venue cannot list them. */
  tradesSince(time: number): Promise<VenueTrade[] | undefined>;
  /** Positions left; undefined when the venue cannot tell. */
  positions(): Promise<VenuePosition[] | undefined>;
  close(): Promise<void>;
}

export interface KillSwitchWatcher {
  /** A record newer than any delivered before. Intermediate revisions may be skipped. */
  onRecord(record: KillSwitchRecord): void;
  /** The state exists but cannot be read: the kill switch must fail closed. */
  onError(error: LivegateError): void;
}

export interface KillSwitchUpdateResult {
  readonly record: KillSwitchRecord;
  /** False when `decide` returned null and nothing was written. */
  readonly changed: boolean;
  /** Set when the previous state was unreadable and has been set aside (where it went). */
  readonly repairedFrom?: string;
}

/**
 * Durable, shared kill-switch state. `update` is the only write: it serialises writers so that
 * concurrent changes from many processes never lose or duplicate a revision.
 */
export interface KillSwitchStore {
  readonly name: string;
  /** Current record, or null when no state exists yet. Throws ERR_STATE_UNREADABLE when it exists but is unreadable. */
  read(): Promise<KillSwitchRecord | null>;
  /**
   * `decide` sees the current record (null if none or unreadable, with the error in `unreadable`)
   * and returns the change to append, or null to write nothing. Resolves once the change is durable.
   */
  update(
    decide: (
      current: KillSwitchRecord | null,
      unreadable?: LivegateError,
    ) => KillSwitchChange | null,
  ): Promise<KillSwitchUpdateResult>;
  /** Push where the backend can, plus a periodic re-read as a fallback. Returns a stop function. */
  watch(watcher: KillSwitchWatcher): () => void;
  /** Past revisions, oldest first (the audit trail). */
  history(limit?: number): Promise<KillSwitchRecord[]>;
  publishEngineReport(report: EngineReport): Promise<void>;
  removeEngineReport(engineId: string): Promise<void>;
  listEngineReports(): Promise<EngineReport[]>;
  /** One engine's report (undefined when it has none): what a running engine checks its id with. */
  readEngineReport(engineId: string): Promise<EngineReport | undefined>;
  /** The live risk limits kept beside this state (same server, same namespace); absent in fakes. */
  readonly limits?: LimitsStore;
  close(): Promise<void>;
}

/**
 * Versioned risk limits, append-only: revision n+1 is claimed atomically (a file link, a KV
 * create, a Lua check), so of two concurrent writers exactly one gets it. Closed with its store.
 */
export interface LimitsStore {
  /** Highest revision, or null when limits were never changed. Throws ERR_STATE_UNREADABLE. */
  latest(): Promise<LimitsRecord | null>;
  /** Writes `record` as its revision unless that revision exists; false when another writer has it. */
  append(record: LimitsRecord): Promise<boolean>;
  /** Every revision, oldest first. */
  history(): Promise<LimitsRecord[]>;
}

/** Delivery figures of a buffering sink, for /metrics. */
export interface EventSinkStats {
  /** Written and not yet delivered. */
  readonly queued: number;
  /** Delivered (acknowledged by the broker), each event counted once. */
  readonly delivered: number;
  /** Lost: queue full under sustained overload, unserialisable, or abandoned at close. */
  readonly dropped: number;
  /** Batches that kept failing long enough to raise an alarm. */
  readonly failedBatches: number;
  /** Re-sends after a failed attempt. */
  readonly retries: number;
}

export interface EventSink {
  readonly name: string;
  /** Must not block: buffer and write later. */
  write(event: LivegateEvent): void;
  /** Resolves once everything written so far is handed to the OS (a broker sink: acknowledged). */
  flush(): Promise<void>;
  close(): Promise<void>;
  stats?(): EventSinkStats;
}

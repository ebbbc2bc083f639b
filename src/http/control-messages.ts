// The shapes the control API serves: GET /api/status, the SSE stream of GET /api/events, and the
// mutation responses. The console (src/http/console/app.js) reads exactly these; keep them in step.

import type { RunSummary } from '../core/events.js';
import type {
  EngineReport,
  KillSwitchRecord,
  KillSwitchState,
} from '../core/kill-switch-record.js';
import type { RiskSnapshot } from '../core/risk-snapshot.js';
import type { ConfirmationResult } from '../killswitch/confirmations.js';
import type { VenueKillOutcome } from '../cli/venue-receipt-file.js';
import type { ReadinessCheck } from './engine-view.js';

export interface KillSwitchView {
  /** The stored record (null before any state exists). */
  readonly record: KillSwitchRecord | null;
  /** What this engine's gates enforce (ENGAGED while failing closed, whatever the record says). */
  readonly enforcedState: KillSwitchState;
  readonly failClosed: boolean;
  /** `CODE: message` while failing closed. */
  readonly failure: string | null;
}

/** An engine on the same store, from its latest report. */
export interface FleetEngine extends EngineReport {
  /** ms since its last report, at the time of the response. */
  readonly heartbeatAgeMs: number;
  readonly stale: boolean;
}

export interface StatusResponse {
  readonly engineId: string;
  readonly runId: string;
  readonly startedAt: string;
  readonly killSwitch: KillSwitchView;
  readonly engine: RunSummary;
  readonly risk: RiskSnapshot | null;
  readonly readiness: readonly ReadinessCheck[];
  readonly engines: readonly FleetEngine[];
  /** The latest kill-switch revisions, oldest first. */
  readonly audit: readonly KillSwitchRecord[];
}

/** POST /api/killswitch/{engage,reduce,reset}: 200 with this once the change is durable. */
export interface MutationResponse {
  readonly ok: boolean;
  /** False when the state already was what was asked (nothing written). */
  readonly changed: boolean;
  readonly record: KillSwitchRecord;
  readonly durableAfterMs: number;
  /** Engines on the store that confirmed the revision in time, and those that did not. */
  readonly confirmations: ConfirmationResult;
  /**
   * An engage on an engine trading at a venue: the venue's own cancel-all and read-back, run while
   * the engines confirm (see `livegate kill`); `ok` is false when a venue could not confirm.
   */
  readonly venues?: VenueKillOutcome;
}

/** POST /api/events/ticket: a single-use ticket for `GET /api/events?ticket=`. */
export interface StreamTicketResponse {
  readonly ticket: string;
  /** The ticket is refused once this long has passed without its stream opening. */
  readonly expiresInMs: number;
}

/**
 * One SSE message: `event: <type>` and `data: <JSON of the rest>`. Never one per tick: stats and
 * denials are aggregated per interval (1 s), state and risk messages are sent as they happen.
 */
export type ControlMessage =
  | ({ readonly type: 'state'; readonly time: number } & KillSwitchView)
  | {
      readonly type: 'stats';
      readonly time: number;
      /** Length of the interval the rates and percentiles cover, ms. */
      readonly intervalMs: number;
      readonly ticksPerSecond: number;
      readonly ordersPerSecond: number;
      readonly deniedPerSecond: number;
      readonly blockedPerSecond: number;
      /** Tick-to-order latency over the interval, µs (null without orders in it). */
      readonly latencyP50Us: number | null;
      readonly latencyP99Us: number | null;
      /** Totals since start. */
      readonly ticks: number;
      readonly ordersSubmitted: number;
      readonly ordersDenied: number;
      readonly ticksBlocked: number;
    }
  | {
      /** Sent once to a new stream, right after `state`: the stats of the last 5 minutes. */
      readonly type: 'history';
      readonly time: number;
      readonly stats: readonly ControlMessage[];
    }
  | {
      readonly type: 'denials';
      readonly time: number;
      readonly intervalMs: number;
      /** `gate<n>:<code>` → count within the interval; only sent when something was denied. */
      readonly byCode: Readonly<Record<string, number>>;
      /** The engine's own counters since start, by the same keys (what the console shows). */
      readonly sinceStart: Readonly<Record<string, number>>;
    }
  | {
      readonly type: 'heartbeat';
      readonly time: number;
      readonly engines: readonly FleetEngine[];
      readonly risk: RiskSnapshot | null;
    }
  | {
      readonly type: 'risk';
      readonly time: number;
      readonly rule: string;
      readonly action: string;
      readonly value: number;
      readonly threshold: number;
      readonly message: string;
    };

export type ControlMessageType = ControlMessage['type'];

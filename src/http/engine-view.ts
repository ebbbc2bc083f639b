// What the control plane (HTTP API, metrics, SSE, console, alerts) reads from one running engine.
// Everything here is read at request or scrape time: the tick loop keeps plain counters and never
// waits for the control plane.

import type { LivegateEvent, RunSummary } from '../core/events.js';
import type { KillSwitchStore } from '../core/ports.js';
import type { RiskSnapshot } from '../core/risk-snapshot.js';
import type { LatencyHistogram } from '../engine/latency-histogram.js';
import type { LiveEngine } from '../engine/live-engine.js';
import type { EnforcedKillSwitch } from '../killswitch/enforced-kill-switch.js';

export interface ReadinessCheck {
  readonly name: 'kill-switch-state' | 'feed' | 'broker';
  readonly ok: boolean;
  /** Why, in words an operator can act on. */
  readonly detail: string;
}

export interface EngineView {
  readonly engineId: string;
  readonly runId: string;
  /** ISO-8601 UTC. */
  readonly startedAt: string;
  /** The in-process switch: `state`, `record`, `revision`, `failClosedReason`, `onChange`, `engage`... */
  readonly killSwitch: EnforcedKillSwitch;
  /** The store the CLI writes too: history (audit trail) and every engine's report. */
  readonly store: KillSwitchStore;
  /** Timing knobs the API reuses for confirmations, as `livegate kill` does. */
  readonly confirmTimeoutMs: number;
  readonly engineStaleAfterMs: number;
  summary(): RunSummary;
  /** The kill-switch revision in this engine's latest report written to the store (0 before). */
  confirmedRevision(): number;
  /** The live tick-to-order histogram (ns). Read only. */
  readonly latency: LatencyHistogram;
  /** Positions, PnL and rule headroom; undefined when no risk monitor runs. */
  riskSnapshot(): RiskSnapshot | undefined;
  readiness(): readonly ReadinessCheck[];
  /** Every engine event, synchronously, as emitted. Listeners must be cheap and must not throw. */
  on(listener: (event: LivegateEvent) => void): () => void;
}

export interface EngineViewOptions {
  readonly engine: LiveEngine;
  readonly killSwitch: EnforcedKillSwitch;
  readonly riskSnapshot?: () => RiskSnapshot;
  /** /readyz reports the feed as not delivering after this long without a tick. */
  readonly feedStaleAfterMs: number;
  readonly confirmTimeoutMs: number;
  readonly engineStaleAfterMs: number;
  readonly clock?: { now(): number };
}

/** Adapts a LiveEngine (not yet running is fine) to the control plane's view. */
export function engineViewOf(options: EngineViewOptions): EngineView {
  const { engine, killSwitch, feedStaleAfterMs } = options;
  const now = options.clock?.now.bind(options.clock) ?? Date.now;
  return {
    engineId: engine.id,
    runId: engine.runId,
    startedAt: new Date(now()).toISOString(),
    killSwitch,
    store: killSwitch.store,
    confirmTimeoutMs: options.confirmTimeoutMs,
    engineStaleAfterMs: options.engineStaleAfterMs,
    summary: () => engine.summary(),
    confirmedRevision: () => engine.confirmedRevision,
    latency: engine.latency,
    riskSnapshot: () => options.riskSnapshot?.(),
    readiness: () => readinessOf(engine, killSwitch, feedStaleAfterMs),
    on: (listener) => engine.on(listener),
  };
}

function readinessOf(
  engine: LiveEngine,
  killSwitch: EnforcedKillSwitch,
  feedStaleAfterMs: number,
): ReadinessCheck[] {
  const health = engine.health();
  const failure = killSwitch.failClosedReason;
  const age = health.lastTickAgeMs;
  return [
    {
      name: 'kill-switch-state',
      ok: failure === null,
      detail:
        failure === null
          ? `readable, revision ${killSwitch.revision} (${killSwitch.state})`
          : `unreadable, failing closed: ${failure.code}: ${failure.message}`,
    },
    {
      name: 'feed',
      ok: health.running && age !== null && age <= feedStaleAfterMs,
      detail: !health.running
        ? 'engine not running'
        : age === null
          ? 'no tick received yet'
          : `last tick ${Math.round(age)} ms ago (stale after ${feedStaleAfterMs} ms)`,
    },
    {
      name: 'broker',
      ok: health.brokerConnected,
      detail: health.brokerConnected ? 'connected' : 'not connected',
    },
  ];
}

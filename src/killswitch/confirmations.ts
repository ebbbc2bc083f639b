// Confirmed kill: wait until every live engine on the store reports it has applied a revision at its gates.

import os from 'node:os';
import { systemClock, type Clock } from '../core/clock.js';
import type { EngineReport } from '../core/kill-switch-record.js';
import type { KillSwitchStore } from '../core/ports.js';
import { processExists } from '../core/processes.js';
import { GLOBAL_SCOPE } from '../core/scopes.js';

export interface EngineConfirmation {
  readonly engineId: string;
  readonly host: string;
  readonly pid: number;
  readonly observedRevision: number;
  readonly enforcedState: string;
  /** observedAt minus the moment the change was acknowledged durable; negative if seen before the ack. */
  readonly latencyMs: number;
  /** observedAt minus the moment the writer started the change. */
  readonly sinceIssuedMs: number;
}

export interface MissingConfirmation {
  readonly engineId: string;
  readonly host: string;
  readonly pid: number;
  readonly observedRevision: number;
  readonly lastReportAgeMs: number;
}

export interface ConfirmationResult {
  readonly revision: number;
  readonly confirmed: readonly EngineConfirmation[];
  readonly missing: readonly MissingConfirmation[];
  readonly waitedMs: number;
}

export interface ConfirmationOptions {
  readonly timeoutMs: number;
  /** A report older than this belongs to an engine that is not running. */
  readonly staleAfterMs: number;
  /** Epoch ms at which the writer started the change. */
  readonly issuedAt: number;
  /** Epoch ms at which the change was acknowledged durable. */
  readonly acknowledgedAt: number;
  readonly clock?: Clock;
  readonly pollIntervalMs?: number;
  /** The scope the revision belongs to (default `global`): only engines under it are waited for. */
  readonly scope?: string;
}

/** The revision an engine has applied for a scope, or undefined when the scope does not govern it. */
export function appliedRevision(report: EngineReport, scope: string): number | undefined {
  const scoped = report.scopes?.[scope];
  if (scoped !== undefined) return scoped;
  // Engines with one unscoped switch report only observedRevision, which is the global scope's.
  return report.scopes === undefined && scope === GLOBAL_SCOPE
    ? report.observedRevision
    : undefined;
}

/** Same-host engines are checked by pid too, so a crashed engine is not waited for. */
export function isLiveEngine(report: EngineReport, now: number, staleAfterMs: number): boolean {
  if (now - report.reportedAt > staleAfterMs) return false;
  if (report.host !== os.hostname()) return true;
  return processExists(report.pid);
}

export async function awaitConfirmations(
  store: KillSwitchStore,
  revision: number,
  options: ConfirmationOptions,
): Promise<ConfirmationResult> {
  const clock = options.clock ?? systemClock;
  const started = clock.monotonic();
  const pollIntervalMs = options.pollIntervalMs ?? 2;
  for (;;) {
    const now = clock.now();
    const scope = options.scope ?? GLOBAL_SCOPE;
    const live = (await store.listEngineReports()).filter(
      (report) =>
        isLiveEngine(report, now, options.staleAfterMs) &&
        appliedRevision(report, scope) !== undefined,
    );
    const confirmed = live.filter((report) => (appliedRevision(report, scope) ?? 0) >= revision);
    const missing = live.filter((report) => (appliedRevision(report, scope) ?? 0) < revision);
    const waitedMs = clock.monotonic() - started;
    if (missing.length === 0 || waitedMs >= options.timeoutMs) {
      return {
        revision,
        waitedMs,
        confirmed: confirmed.map((report) => ({
          engineId: report.engineId,
          host: report.host,
          pid: report.pid,
          observedRevision: appliedRevision(report, scope) ?? 0,
          enforcedState: report.enforcedState,
          latencyMs: report.observedAt - options.acknowledgedAt,
          sinceIssuedMs: report.observedAt - options.issuedAt,
        })),
        missing: missing.map((report) => ({
          engineId: report.engineId,
          host: report.host,
          pid: report.pid,
          observedRevision: appliedRevision(report, scope) ?? 0,
          lastReportAgeMs: now - report.reportedAt,
        })),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}

// A limits change is done when every registered engine reports enforcing its revision, as a kill
// is: members are fixed when it is written, and one that cannot confirm is named, not forgotten.

import { setTimeout as delay } from 'node:timers/promises';
import type { EngineReport } from '../../core/kill-switch-record.js';
import type { KillSwitchStore } from '../../core/ports.js';
import { isKnownGone } from '../../killswitch/confirmations.js';

export interface LimitsConfirmation {
  readonly engineId: string;
  readonly host: string;
  readonly pid: number;
  readonly limitsRevision: number;
  /** From the end of the write to the first report that confirmed it, by this process's clock. */
  readonly afterMs: number;
}

export interface MissingLimitsConfirmation {
  readonly engineId: string;
  readonly host: string;
  readonly pid: number;
  /** The revision it last reported (undefined: it does not report limits, or its report is unreadable). */
  readonly limitsRevision: number | undefined;
  readonly why: string;
}

export interface LimitsConfirmationResult {
  readonly revision: number;
  readonly confirmed: readonly LimitsConfirmation[];
  readonly missing: readonly MissingLimitsConfirmation[];
  /** Members whose report went away during the wait (a clean stop). */
  readonly departed: readonly string[];
  readonly waitedMs: number;
}

export async function awaitLimitsConfirmations(
  store: KillSwitchStore,
  revision: number,
  timeoutMs: number,
  pollIntervalMs = 20,
): Promise<LimitsConfirmationResult> {
  const started = performance.now();
  const members = (await store.listEngineReports()).filter(
    (report) => report.unreadable !== undefined || !isKnownGone(report),
  );
  const latest = new Map(members.map((report) => [report.engineId, report]));
  const confirmedAt = new Map<string, number>();
  const departed = new Set<string>();
  for (;;) {
    const now = performance.now();
    for (const [engineId, report] of latest) {
      if (!confirmedAt.has(engineId) && confirms(report, revision)) {
        confirmedAt.set(engineId, now - started);
      }
    }
    const pending = [...latest.keys()].filter((id) => !confirmedAt.has(id) && !departed.has(id));
    if (pending.length === 0 || now - started >= timeoutMs) break;
    await delay(pollIntervalMs);
    // A listing the store cannot answer now is skipped: the deadline still ends the wait.
    const listed = await store.listEngineReports().catch(() => undefined);
    if (listed === undefined) continue;
    const current = new Map(listed.map((report) => [report.engineId, report]));
    for (const engineId of pending) {
      const report = current.get(engineId);
      if (report === undefined) departed.add(engineId);
      else latest.set(engineId, report);
    }
  }
  return summarise(revision, latest, confirmedAt, departed, performance.now() - started);
}

function confirms(report: EngineReport, revision: number): boolean {
  return report.unreadable === undefined && (report.limitsRevision ?? 0) >= revision;
}

function summarise(
  revision: number,
  latest: ReadonlyMap<string, EngineReport>,
  confirmedAt: ReadonlyMap<string, number>,
  departed: ReadonlySet<string>,
  waitedMs: number,
): LimitsConfirmationResult {
  const confirmed: LimitsConfirmation[] = [];
  const missing: MissingLimitsConfirmation[] = [];
  for (const [engineId, report] of latest) {
    if (departed.has(engineId)) continue;
    const at = confirmedAt.get(engineId);
    const { host, pid } = report;
    if (at !== undefined) {
      confirmed.push({
        engineId,
        host,
        pid,
        limitsRevision: report.limitsRevision ?? 0,
        afterMs: at,
      });
    } else {
      missing.push({
        engineId,
        host,
        pid,
        limitsRevision: report.limitsRevision,
        why: whyMissing(report),
      });
    }
  }
  return { revision, confirmed, missing, departed: [...departed], waitedMs };
}

function whyMissing(report: EngineReport): string {
  if (report.unreadable !== undefined) return `its report is unreadable (${report.unreadable})`;
  if (report.limitsRevision === undefined) {
    return 'it enforces no live limits (risk.preTrade.enabled false, or an older livegate)';
  }
  return `still enforces limits revision ${report.limitsRevision} (hung, stopped, partitioned, or it could not apply the new one: see its LimitsApplyFailed event)`;
}

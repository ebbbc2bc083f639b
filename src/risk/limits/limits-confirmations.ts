// A limits change is done when every registered engine reports enforcing its revision, as a kill
// is: members are fixed when it is written, and one that cannot confirm is named, not forgotten.

import { setTimeout as delay } from 'node:timers/promises';
import type { EngineReport } from '../../core/kill-switch-record.js';
import type { KillSwitchStore } from '../../core/ports.js';
import { processFate } from '../../core/process-identity.js';
import { isKnownGone } from '../../killswitch/confirmations.js';
import {
  registrationReport,
  runningLocalEngines,
  type LocalEngineRegistration,
} from '../../killswitch/local-engine-registry.js';

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
  /** Engines that reported a revision the store does not hold (its history was lost). */
  readonly historyLost: readonly { readonly engineId: string; readonly limitsRevision: number }[];
  readonly waitedMs: number;
}

/**
 * What `limits set` and POST /api/limits wait for after writing `revision`: every engine the store
 * lists, and every engine registered on this host for the same store (`storeIdentity`, see
 * storeIdentityOf). Read after the write: an engine registered later reads its limits after it,
 * so it loads the new revision; one registered before may have read the previous one.
 */
export async function confirmLimitsRevision(
  store: KillSwitchStore,
  revision: number,
  timeoutMs: number,
  storeIdentity: string,
  /** The written record's `at`: an engine reporting the same number confirms only with it. */
  writtenAt?: string,
): Promise<LimitsConfirmationResult> {
  const registered = await runningLocalEngines(storeIdentity);
  return awaitLimitsConfirmations(store, revision, timeoutMs, undefined, registered, writtenAt);
}

export async function awaitLimitsConfirmations(
  store: KillSwitchStore,
  revision: number,
  timeoutMs: number,
  pollIntervalMs = 20,
  /**
   * Engines registered on this host (read after the write): one still starting may have read the
   * previous revision before publishing its first report; it is a member, unreported until it does.
   */
  registeredHere: readonly LocalEngineRegistration[] = [],
  writtenAt?: string,
): Promise<LimitsConfirmationResult> {
  const started = performance.now();
  const members = (await store.listEngineReports()).filter(
    (report) => report.unreadable !== undefined || !isKnownGone(report),
  );
  const latest = new Map(members.map((report) => [report.engineId, report]));
  const unreported = new Map<string, LocalEngineRegistration>();
  for (const registered of registeredHere) {
    if (latest.has(registered.engineId)) continue;
    unreported.set(registered.engineId, registered);
    latest.set(registered.engineId, registrationReport(registered));
  }
  const confirmedAt = new Map<string, number>();
  const departed = new Set<string>();
  const historyLost = new Map<string, number>();
  for (;;) {
    const now = performance.now();
    // A higher revision confirms only if the store holds it: an engine still on a revision from
    // before the store lost its history does not enforce the one just written.
    const storeRevision = await latestRevision(store, revision);
    for (const [engineId, report] of latest) {
      const reported = report.unreadable === undefined ? (report.limitsRevision ?? 0) : undefined;
      if (reported !== undefined && reported > storeRevision) historyLost.set(engineId, reported);
      const sameRecord = writtenAt === undefined || sameWrite(report.limitsAt, writtenAt);
      if (!confirmedAt.has(engineId) && confirms(reported, revision, storeRevision, sameRecord)) {
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
      const starting = unreported.get(engineId);
      if (report !== undefined) {
        unreported.delete(engineId);
        latest.set(engineId, report);
      } else if (starting === undefined || processFate(starting) === 'gone') {
        departed.add(engineId);
      }
    }
  }
  const lost = [...historyLost].map(([engineId, limitsRevision]) => ({ engineId, limitsRevision }));
  return summarise(
    revision,
    latest,
    confirmedAt,
    departed,
    lost,
    new Set(unreported.keys()),
    performance.now() - started,
  );
}

/** The store's latest revision now; the one written while it cannot be read (nothing higher counts). */
async function latestRevision(store: KillSwitchStore, written: number): Promise<number> {
  const record = await store.limits?.latest().catch(() => undefined);
  return Math.max(written, record?.revision ?? written);
}

/**
 * The written revision by number and identity (`sameRecord`: the engine's report names the same
 * write), or a later one the store holds.
 */
function confirms(
  reported: number | undefined,
  revision: number,
  storeRevision: number,
  sameRecord: boolean,
): boolean {
  return (
    reported !== undefined &&
    ((reported === revision && sameRecord) || (reported > revision && reported <= storeRevision))
  );
}

/** An engine older than record identities reports no `limitsAt`: its number alone is taken. */
function sameWrite(reportedAt: string | undefined, writtenAt: string): boolean {
  return reportedAt === undefined || reportedAt === writtenAt;
}

function summarise(
  revision: number,
  latest: ReadonlyMap<string, EngineReport>,
  confirmedAt: ReadonlyMap<string, number>,
  departed: ReadonlySet<string>,
  historyLost: LimitsConfirmationResult['historyLost'],
  unreported: ReadonlySet<string>,
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
        why: unreported.has(engineId)
          ? 'registered on this host but it published no report yet (starting, or hung at start)'
          : whyMissing(report),
      });
    }
  }
  return { revision, confirmed, missing, departed: [...departed], historyLost, waitedMs };
}

function whyMissing(report: EngineReport): string {
  if (report.unreadable !== undefined) return `its report is unreadable (${report.unreadable})`;
  if (report.limitsRevision === undefined) {
    return 'it enforces no live limits (risk.preTrade.enabled false, or an older livegate)';
  }
  return `still enforces limits revision ${report.limitsRevision} (hung, stopped, partitioned, or it could not apply the new one: see its LimitsApplyFailed event)`;
}

// Confirmed change: who must confirm is fixed when the change is written (every registered engine
// not known to be gone), and a member confirms only by enforcing the new level at its gates.

import { systemClock, type Clock } from '../core/clock.js';
import type { EngineReport, KillSwitchState } from '../core/kill-switch-record.js';
import type { KillSwitchStore } from '../core/ports.js';
import { processFate, sameProcess, type LocalProcesses } from '../core/process-identity.js';
import { isLivegateError } from '../core/errors.js';
import { GLOBAL_SCOPE } from '../core/scopes.js';
import { registrationReport, type LocalEngineRegistration } from './local-engine-registry.js';

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

/** Why a member has not confirmed. */
export type UnconfirmedReason =
  /** Its report has not reached the revision: hung, partitioned, or slow. */
  | 'not-applied'
  /** It applied the revision but enforces something else (a reset held by another scope or a latch). */
  | 'not-enforced'
  /** Its report cannot be parsed: it is registered, but nothing it says can be trusted. */
  | 'unreadable'
  /** Another process now reports under its engine id while it may still run (a duplicate id). */
  | 'replaced'
  /**
   * It runs on this host registered for this store, but the store has no report of it (the store
   * lost its data, and a hung engine has not reported since).
   */
  | 'unreported';

export interface MissingConfirmation {
  readonly engineId: string;
  readonly host: string;
  readonly pid: number;
  readonly observedRevision: number;
  readonly enforcedState: string;
  readonly failClosed: boolean;
  readonly reason: UnconfirmedReason;
  /** Set for `unreadable`: what is wrong with the report; for `replaced`: who reports instead. */
  readonly problem?: string;
  /** How long its report had not changed, by this process's own monotonic clock. */
  readonly unchangedForMs: number;
}

/** A member that went away during the wait: deregistered by a clean stop, or its process exited. */
export interface DepartedEngine {
  readonly engineId: string;
  readonly pid: number;
  readonly how: 'stopped' | 'exited';
}

export interface ConfirmationResult {
  readonly revision: number;
  readonly confirmed: readonly EngineConfirmation[];
  readonly missing: readonly MissingConfirmation[];
  readonly departed: readonly DepartedEngine[];
  readonly waitedMs: number;
}

export interface ConfirmationOptions {
  readonly timeoutMs: number;
  /** Epoch ms at which the writer started the change. */
  readonly issuedAt: number;
  /** Epoch ms at which the change was acknowledged durable. */
  readonly acknowledgedAt: number;
  /** What a member's gates must enforce to confirm (default: the record's state or stricter for a tightening). */
  readonly expectedState: KillSwitchState;
  readonly clock?: Clock;
  readonly pollIntervalMs?: number;
  /** The scope the revision belongs to (default `global`): only engines under it are members. */
  readonly scope?: string;
  /**
   * Engines running on this host for this store (local-engine-registry.ts): those under the scope
   * that the store does not list are members too, missing until a report of theirs confirms.
   */
  readonly registeredHere?: readonly LocalEngineRegistration[];
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

/**
 * Known to be gone: only an engine this process can see (same host, boot and pid namespace) whose
 * pid no longer runs or now belongs to a later process. No clock is compared.
 */
export function isKnownGone(report: EngineReport, local?: LocalProcesses): boolean {
  return report.unreadable === undefined && processFate(report, local) === 'gone';
}

/** Registered engines a change in `scope` must be confirmed by: fixed once, when it is written. */
export function membersOf(reports: readonly EngineReport[], scope: string): EngineReport[] {
  return reports.filter(
    (report) =>
      report.unreadable !== undefined ||
      (!isKnownGone(report) && appliedRevision(report, scope) !== undefined),
  );
}

const STRICTNESS: Record<KillSwitchState, number> = { SAFE: 0, REDUCING: 1, ENGAGED: 2 };

/** A tightening is confirmed by that level or stricter; a reset only by SAFE itself. */
function enforces(state: KillSwitchState, expected: KillSwitchState): boolean {
  return expected === 'SAFE' ? state === 'SAFE' : STRICTNESS[state] >= STRICTNESS[expected];
}

interface Tracked {
  /** The report the membership was fixed with: the process that must confirm. */
  readonly member: EngineReport;
  latest: EngineReport;
  /** Set when another process reports under the member's id while the member may still run. */
  replacedBy?: EngineReport;
  lastReportedAt: number;
  changedAt: number;
  departed?: DepartedEngine['how'];
  /** Registered on this host and absent from the store: counted, but no report yet to judge. */
  unreported?: boolean;
}

export async function awaitConfirmations(
  store: KillSwitchStore,
  revision: number,
  options: ConfirmationOptions,
): Promise<ConfirmationResult> {
  const clock = options.clock ?? systemClock;
  const started = clock.monotonic();
  const scope = options.scope ?? GLOBAL_SCOPE;
  const pollIntervalMs = options.pollIntervalMs ?? 2;
  const members = new Map<string, Tracked>();
  const deadline = started + options.timeoutMs;
  for (const report of membersOf(await listUntil(store, clock, deadline), scope)) {
    members.set(report.engineId, {
      member: report,
      latest: report,
      lastReportedAt: report.reportedAt,
      changedAt: started,
    });
  }
  for (const registered of options.registeredHere ?? []) {
    if (!registered.scopes.includes(scope) || members.has(registered.engineId)) continue;
    const placeholder = registrationReport(registered);
    members.set(registered.engineId, {
      member: placeholder,
      latest: placeholder,
      lastReportedAt: 0,
      changedAt: started,
      unreported: true,
    });
  }
  const settled = (tracked: Tracked): boolean =>
    tracked.departed !== undefined ||
    (tracked.replacedBy === undefined && confirms(tracked.latest, scope, revision, options));
  for (;;) {
    const waitedMs = clock.monotonic() - started;
    const done = [...members.values()].every(settled);
    if (done || waitedMs >= options.timeoutMs) {
      return summarise(members, revision, scope, options, clock.monotonic(), waitedMs);
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    // A listing the store cannot answer now (an election, a reconnect) is skipped, not fatal.
    const listed = await store.listEngineReports().catch((error: unknown) => {
      if (isTransientStoreFailure(error)) return undefined;
      throw error;
    });
    if (listed === undefined) continue;
    const current = new Map(listed.map((report) => [report.engineId, report]));
    const now = clock.monotonic();
    for (const [engineId, tracked] of members) follow(tracked, current.get(engineId), now);
  }
}

/** The first listing fixes the membership: retried while the store cannot answer, until the deadline. */
async function listUntil(
  store: KillSwitchStore,
  clock: Clock,
  deadline: number,
): Promise<readonly EngineReport[]> {
  for (;;) {
    try {
      return await store.listEngineReports();
    } catch (error) {
      if (!isTransientStoreFailure(error) || clock.monotonic() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function follow(tracked: Tracked, report: EngineReport | undefined, now: number): void {
  if (tracked.departed !== undefined) return;
  if (tracked.unreported === true) {
    if (report !== undefined && sameProcess(tracked.member, report)) {
      tracked.unreported = false; // It reported at last: judged like any member from here on.
      tracked.latest = report;
      tracked.lastReportedAt = report.reportedAt;
      tracked.changedAt = now;
    } else if (isKnownGone(tracked.member)) {
      tracked.departed = 'exited';
    }
    return;
  }
  if (report === undefined) {
    tracked.departed = 'stopped';
    return;
  }
  if (
    tracked.member.unreadable === undefined &&
    report.unreadable === undefined &&
    !sameProcess(tracked.member, report)
  ) {
    // A second process took the id (a restart, or the same id on two hosts): its confirmation
    // says nothing about the member, which confirms only if it is known to be gone.
    if (isKnownGone(tracked.member)) tracked.departed = 'exited';
    else tracked.replacedBy = report;
    return;
  }
  if (isKnownGone(report)) {
    tracked.departed = 'exited';
    return;
  }
  if (
    report.reportedAt !== tracked.lastReportedAt ||
    report.unreadable !== tracked.latest.unreadable
  ) {
    tracked.changedAt = now;
    tracked.lastReportedAt = report.reportedAt;
  }
  tracked.latest = report;
}

function confirms(
  report: EngineReport,
  scope: string,
  revision: number,
  options: ConfirmationOptions,
): boolean {
  if (report.unreadable !== undefined) return false;
  return (
    (appliedRevision(report, scope) ?? 0) >= revision &&
    enforces(report.enforcedState, options.expectedState)
  );
}

function summarise(
  members: ReadonlyMap<string, Tracked>,
  revision: number,
  scope: string,
  options: ConfirmationOptions,
  now: number,
  waitedMs: number,
): ConfirmationResult {
  const confirmed: EngineConfirmation[] = [];
  const missing: MissingConfirmation[] = [];
  const departed: DepartedEngine[] = [];
  for (const tracked of members.values()) {
    const report = tracked.latest;
    if (tracked.departed !== undefined) {
      departed.push({
        engineId: report.engineId,
        pid: tracked.member.pid,
        how: tracked.departed,
      });
      continue;
    }
    if (tracked.unreported === true) {
      missing.push({
        engineId: report.engineId,
        host: report.host,
        pid: report.pid,
        observedRevision: 0,
        enforcedState: 'unknown',
        failClosed: false,
        reason: 'unreported',
        problem: `runs on this host (registered ${report.startedAt}) but the store has no report of it: the store lost its data and the engine has not reported since (hung?)`,
        unchangedForMs: now - tracked.changedAt,
      });
      continue;
    }
    const applied = appliedRevision(report, scope) ?? 0;
    if (tracked.replacedBy !== undefined) {
      missing.push(replacedMember(tracked, tracked.replacedBy, scope, now));
      continue;
    }
    if (confirms(report, scope, revision, options)) {
      confirmed.push({
        engineId: report.engineId,
        host: report.host,
        pid: report.pid,
        observedRevision: applied,
        enforcedState: report.enforcedState,
        latencyMs: report.observedAt - options.acknowledgedAt,
        sinceIssuedMs: report.observedAt - options.issuedAt,
      });
      continue;
    }
    missing.push({
      engineId: report.engineId,
      host: report.host,
      pid: report.pid,
      observedRevision: applied,
      enforcedState: report.enforcedState,
      failClosed: report.failClosed,
      reason:
        report.unreadable !== undefined
          ? 'unreadable'
          : applied >= revision
            ? 'not-enforced'
            : 'not-applied',
      ...(report.unreadable === undefined ? {} : { problem: report.unreadable }),
      unchangedForMs: now - tracked.changedAt,
    });
  }
  return { revision, confirmed, missing, departed, waitedMs };
}

function replacedMember(
  tracked: Tracked,
  replacement: EngineReport,
  scope: string,
  now: number,
): MissingConfirmation {
  const member = tracked.member;
  return {
    engineId: member.engineId,
    host: member.host,
    pid: member.pid,
    observedRevision: appliedRevision(member, scope) ?? 0,
    enforcedState: member.enforcedState,
    failClosed: member.failClosed,
    reason: 'replaced',
    problem: `pid ${replacement.pid} on ${replacement.host} now reports as ${member.engineId}; pid ${member.pid} may still run`,
    unchangedForMs: now - tracked.changedAt,
  };
}

/** The store cannot answer now (unreachable, or answering with errors): worth asking again. */
export function isTransientStoreFailure(error: unknown): boolean {
  return (
    isLivegateError(error, 'ERR_STORE_UNREACHABLE') || isLivegateError(error, 'ERR_STORE_ERROR')
  );
}

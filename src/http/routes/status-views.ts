// The views /api/status and the SSE stream share: what the switch enforces, and the fleet on the store.

import type { EngineReport } from '../../core/kill-switch-record.js';
import type { EnforcedKillSwitch } from '../../killswitch/enforced-kill-switch.js';
import type { FleetEngine, KillSwitchView } from '../control-messages.js';

export function killSwitchViewOf(killSwitch: EnforcedKillSwitch): KillSwitchView {
  const failure = killSwitch.failClosedReason;
  return {
    record: killSwitch.record,
    enforcedState: killSwitch.state,
    failClosed: failure !== null,
    failure: failure === null ? null : `${failure.code}: ${failure.message}`,
  };
}

export function fleetOf(
  reports: readonly EngineReport[],
  now: number,
  staleAfterMs: number,
): FleetEngine[] {
  return reports.map((report) => {
    const heartbeatAgeMs = Math.max(0, now - report.reportedAt);
    return { ...report, heartbeatAgeMs, stale: heartbeatAgeMs > staleAfterMs };
  });
}

/** `CODE: message` for our errors, the message for anything else. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

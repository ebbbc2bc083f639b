// Two processes under one engine id: each engine that finds another process's report under its id
// engages its own scope, so neither trades until an operator has stopped one of them.

import type { EngineReport } from '../core/kill-switch-record.js';
import { describeProcess } from '../core/process-identity.js';
import type { ScopedKillSwitch } from '../killswitch/scoped-kill-switch.js';
import type { Logger } from '../observability/logger.js';

export const ENGINE_ID_CONFLICT_TRIGGER = 'engine-id-conflict';

export function engageOnEngineIdConflict(
  killSwitch: ScopedKillSwitch,
  engineId: string,
  logger: Logger,
): (holder: EngineReport) => void {
  const scope = `engine:${engineId}`;
  return (holder) => {
    const reason = `engine id ${engineId} is also reported by ${describeProcess(holder)}: two processes run under one id, and a kill would count one's confirmation for both; stop one, then \`livegate reset --scope ${scope}\``;
    logger.error(
      { engineId, otherHost: holder.host, otherPid: holder.pid, scope },
      `ENGINE ID IN USE TWICE: engaging ${scope}: ${reason}`,
    );
    // A write that fails leaves the gates closed anyway: engage() fails closed on its own.
    (killSwitch.scope(scope) ?? killSwitch)
      .engage(reason, `${engineId}/pid ${process.pid}`, ENGINE_ID_CONFLICT_TRIGGER)
      .catch(() => undefined);
  };
}

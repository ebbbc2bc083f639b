// The engine's end of a kill that needs no disk: SIGUSR2 engages this engine's own scope at once.
// Sent by `livegate kill` when the store cannot take the change (signal-local-engines.ts).

import type { ScopedKillSwitch } from '../killswitch/scoped-kill-switch.js';
import type { Logger } from '../observability/logger.js';

/** SIGUSR1 belongs to Node's inspector; SIGUSR2 is free (livegate uses it for nothing else). */
export const KILL_SIGNAL = 'SIGUSR2';

/**
 * Engages `engine:<id>`, never a wider scope: a signal says only "stop", not which scope the
 * operator meant, and a global record written later by one engine would stop engines on other
 * hosts that were never asked to. Returns the uninstaller.
 */
export function engageOnKillSignal(
  killSwitch: ScopedKillSwitch,
  engineId: string,
  logger: Logger,
): () => void {
  const scope = `engine:${engineId}`;
  const handler = (): void => {
    const own = killSwitch.scope(scope);
    logger.warn(
      { signal: KILL_SIGNAL, scope },
      `${KILL_SIGNAL}: engaging ${scope} now (livegate kill could not write the store)`,
    );
    // The gates close inside engage(); if the store is still unwritable the engine fails closed
    // on its own and says so (KillSwitchFailedClosed), so the rejection is already accounted for.
    (own ?? killSwitch)
      .engage(
        `${KILL_SIGNAL} from livegate kill: the kill-switch store could not be written`,
        `${engineId}/${KILL_SIGNAL}`,
        'signal',
      )
      .catch(() => undefined);
  };
  process.on(KILL_SIGNAL, handler);
  return () => {
    process.off(KILL_SIGNAL, handler);
  };
}

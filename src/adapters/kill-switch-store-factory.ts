// Configuration -> kill-switch store: the file store here, the shared-server stores on demand.

import { LivegateError } from '../core/errors.js';
import type { KillSwitchStore } from '../core/ports.js';
import { GLOBAL_SCOPE } from '../core/scopes.js';
import type { LivegateConfig } from '../config/schema.js';
import { FileKillSwitchStore } from './stores/file-kill-switch-store.js';

/** One scope's store (`global` by default); every scope of a deployment shares the engine reports. */
export async function createKillSwitchStore(
  config: LivegateConfig,
  scope: string = GLOBAL_SCOPE,
): Promise<KillSwitchStore> {
  const { killSwitch } = config;
  switch (killSwitch.store) {
    case 'file':
      return new FileKillSwitchStore({
        stateDirectory: killSwitch.directory ?? config.stateDir,
        pollIntervalMs: killSwitch.pollIntervalMs,
        scope,
      });
    case 'memory': {
      // One process only (tests, demos): a command for another process never loads it.
      const { MemoryKillSwitchStore } = await import('./stores/memory-kill-switch-store.js');
      return new MemoryKillSwitchStore();
    }
    case 'nats':
    case 'redis': {
      // Loaded on demand: a file-store `livegate kill` never pays for loading the NATS or Redis client.
      const { createSharedServerStore } = await import('./shared-server-stores.js');
      return createSharedServerStore(config, scope);
    }
  }
}

/** Stores another process can see; `kill`, `reset` and `status` refuse an in-process store. */
export async function createSharedKillSwitchStore(
  config: LivegateConfig,
  scope: string = GLOBAL_SCOPE,
): Promise<KillSwitchStore> {
  if (config.killSwitch.store === 'memory') {
    throw new LivegateError(
      'ERR_USAGE',
      'killSwitch.store is "memory": it lives inside one process, so no other command can reach it',
    );
  }
  return createKillSwitchStore(config, scope);
}

// The kill-switch stores that live on a server (NATS JetStream KV, Redis), shared across hosts.

import { LivegateError } from '../core/errors.js';
import type { KillSwitchStore } from '../core/ports.js';
import type { LivegateConfig } from '../config/schema.js';

export function createSharedServerStore(config: LivegateConfig, scope: string): KillSwitchStore {
  const { killSwitch } = config;
  throw new LivegateError(
    'ERR_USAGE',
    `killSwitch.store ${killSwitch.store} (scope ${scope}) is not available in this build`,
  );
}

// The kill-switch stores that live on a server (NATS JetStream KV, Redis), shared across hosts.
// Imported on demand by ./index.ts, so commands on the file store never load these clients.

import type { KillSwitchStore } from '../core/ports.js';
import type { LivegateConfig } from '../config/schema.js';
import { NatsKillSwitchStore } from './stores/nats-kill-switch-store.js';
import { RedisKillSwitchStore } from './stores/redis-kill-switch-store.js';
import { RevisionMarkFile } from './stores/revision-mark-file.js';
import { storeIdentityOf } from '../killswitch/local-engine-registry.js';

export function createSharedServerStore(config: LivegateConfig, scope: string): KillSwitchStore {
  const { killSwitch } = config;
  // The schema guarantees a url for these two kinds.
  const url = killSwitch.url ?? '';
  const common = {
    namespace: killSwitch.namespace,
    scope,
    pollIntervalMs: killSwitch.pollIntervalMs,
    failClosedAfterMs: killSwitch.failClosedAfterMs,
  };
  const store =
    killSwitch.store === 'nats'
      ? new NatsKillSwitchStore({
          servers: url.split(','),
          replicas: killSwitch.replicas,
          ...common,
        })
      : new RedisKillSwitchStore({ url, ...killSwitch.redis, ...common });
  // Every engine and CLI of this state dir starts from the highest revision any of them saw.
  store.persistRevisionMark(new RevisionMarkFile(config.stateDir, storeIdentityOf(config), scope));
  return store;
}

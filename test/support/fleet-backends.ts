// The shared stores a fleet test runs on (the machine's NATS and Redis, or a state dir), one
// definition for every test that runs the same scenario on each.
import { MACHINE_NATS_URL, machineNatsAvailable } from './nats-server.js';
import { deleteNamespace, MACHINE_REDIS_URL, machineRedisAvailable } from './redis-server.js';

export type FleetBackendName = 'file' | 'nats' | 'redis';

export interface FleetBackend {
  readonly name: FleetBackendName;
  /** False (and says what it skips) when the machine's server is not there. */
  readonly available: () => Promise<boolean>;
  /** The config's `killSwitch:` value, as YAML flow, for a test's own namespace. */
  readonly killSwitch: (namespace: string) => string;
  /** Shared servers start fail-closed until `livegate init`; a state dir does not. */
  readonly needsInit: boolean;
  readonly cleanup?: (namespace: string) => Promise<void>;
}

function backend(name: FleetBackendName, purpose: string): FleetBackend {
  switch (name) {
    case 'file':
      return {
        name,
        available: () => Promise.resolve(true),
        killSwitch: () => '{ store: file }',
        needsInit: false,
      };
    case 'nats':
      return {
        name,
        available: () => machineNatsAvailable(`${purpose} (nats)`),
        killSwitch: (namespace) =>
          `{ store: nats, url: "${MACHINE_NATS_URL}", namespace: ${namespace} }`,
        needsInit: true,
      };
    case 'redis':
      return {
        name,
        available: () => machineRedisAvailable(`${purpose} (redis)`),
        killSwitch: (namespace) =>
          `{ store: redis, url: "${MACHINE_REDIS_URL}", namespace: ${namespace} }`,
        needsInit: true,
        cleanup: (namespace) => deleteNamespace(MACHINE_REDIS_URL, namespace),
      };
  }
}

/** The named backends, in order, for `describe.each`. */
export function fleetBackends(purpose: string, names: readonly FleetBackendName[]): FleetBackend[] {
  return names.map((name) => backend(name, purpose));
}

// The venues a kill goes to directly, with no engine: each venue client loaded on demand.

import type { CancelScope, VenueCanceller } from '../core/ports.js';
import type { LivegateConfig } from '../config/schema.js';

/** A venue a kill goes to directly: how to reach it, and whose orders to cancel there. */
export interface KillVenue {
  readonly canceller: VenueCanceller;
  readonly scope: CancelScope;
  /** Which credential variables were read (ccxt), for the receipt. */
  readonly credentials?: string;
}

/**
 * The venues the config trades on (broker.kind ccxt, websocket or fix), as a kill reaches them with no
 * engine. Loaded on demand: a paper config gets an empty list and loads no venue client.
 */
export async function createKillVenues(
  config: LivegateConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<KillVenue[]> {
  switch (config.broker.kind) {
    case 'paper':
      return [];
    case 'ccxt': {
      const { createCcxtCanceller } = await import('./ccxt-adapters.js');
      const { canceller, credentials } = createCcxtCanceller(config, env);
      return [{ canceller, credentials, scope: config.venue.cancelScope.kill }];
    }
    case 'websocket': {
      const { createGatewayCanceller } = await import('./gateway-adapters.js');
      return [
        { canceller: createGatewayCanceller(config, env), scope: config.gateway.cancelScope.kill },
      ];
    }
    case 'fix': {
      const { createFixCanceller } = await import('./fix-adapters.js');
      const { canceller, credentials } = createFixCanceller(config, env);
      return [{ canceller, credentials, scope: config.fix.cancelScope.kill }];
    }
  }
}

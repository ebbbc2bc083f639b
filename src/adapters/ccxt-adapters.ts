// The ccxt venue, feed and broker from the config. Imported on demand (ccxt is large): only a run
// configured for a venue loads it.

import type { LivegateConfig } from '../config/schema.js';
import { LivegateError } from '../core/errors.js';
import type { Instrument } from '../core/instrument-catalog.js';
import type { Broker, MarketFeed, VenueCanceller } from '../core/ports.js';
import { CcxtBroker } from './ccxt/ccxt-broker.js';
import { CcxtFeed } from './ccxt/ccxt-feed.js';
import { CcxtStreamFeed } from './ccxt/ccxt-stream-feed.js';
import { CcxtVenue, preTradeSymbolLimits, venueInstruments } from './ccxt/ccxt-venue.js';
import { CcxtVenueCanceller } from './ccxt/ccxt-venue-canceller.js';

export interface CcxtAdapters {
  readonly feed: MarketFeed | undefined;
  readonly broker: Broker | undefined;
  /** The venue's instrument rules (lot, tick, minimum quantity), as pre-trade per-symbol limits. */
  readonly symbolLimits: Readonly<Record<string, unknown>>;
  /** The venue's markets as instruments (base, quote, contract size), for `risk.instruments`. */
  readonly instruments: Readonly<Record<string, Instrument>>;
  /** After the feed and the broker have closed. */
  close(): Promise<void>;
}

/** Credentials only ever come from the environment. */
export const VENUE_CREDENTIAL_VARIABLES = {
  apiKey: 'LIVEGATE_VENUE_API_KEY',
  secret: 'LIVEGATE_VENUE_SECRET',
  password: 'LIVEGATE_VENUE_PASSWORD',
} as const;

/**
 * A kill's own credentials, so a cancel-only key can be used where the venue offers one; the
 * trading key's variables are the fallback when none of these is set.
 */
export const KILL_CREDENTIAL_VARIABLES = {
  apiKey: 'LIVEGATE_KILL_VENUE_API_KEY',
  secret: 'LIVEGATE_KILL_VENUE_SECRET',
  password: 'LIVEGATE_KILL_VENUE_PASSWORD',
} as const;

type CredentialVariables = typeof VENUE_CREDENTIAL_VARIABLES | typeof KILL_CREDENTIAL_VARIABLES;

/** The venue's options from the config, with the credentials the given variables hold (if set). */
function venueOptionsOf(
  id: string,
  settings: LivegateConfig['venue'],
  env: NodeJS.ProcessEnv,
  variables: CredentialVariables,
) {
  const credential = (name: keyof CredentialVariables) => {
    const value = env[variables[name]];
    return value === undefined || value === '' ? {} : { [name]: value };
  };
  return {
    venue: id,
    sandbox: settings.sandbox,
    symbols: settings.symbols,
    timeoutMs: settings.timeoutMs,
    ...(settings.urls === null ? {} : { urls: settings.urls }),
    ...(settings.rateLimitMs === null ? {} : { rateLimit: settings.rateLimitMs }),
    ...credential('apiKey'),
    ...credential('secret'),
    ...credential('password'),
  };
}

/** The venue as a kill reaches it (no engine): markets are loaded on first use. */
export function createCcxtCanceller(
  config: LivegateConfig,
  env: NodeJS.ProcessEnv,
): { canceller: VenueCanceller; credentials: string } {
  const { venue: settings } = config;
  if (settings.id === null || settings.symbols.length === 0) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      'venue.id and venue.symbols are required when broker.kind is ccxt',
    );
  }
  const ownKey = Object.values(KILL_CREDENTIAL_VARIABLES).some((name) => (env[name] ?? '') !== '');
  const variables = ownKey ? KILL_CREDENTIAL_VARIABLES : VENUE_CREDENTIAL_VARIABLES;
  const venue = new CcxtVenue(venueOptionsOf(settings.id, settings, env, variables));
  const credentials = venue.hasCredentials
    ? `${variables.apiKey.replace(/_API_KEY$/, '_*')}`
    : `none (set ${KILL_CREDENTIAL_VARIABLES.apiKey} and ${KILL_CREDENTIAL_VARIABLES.secret})`;
  return { canceller: new CcxtVenueCanceller(venue), credentials };
}

export async function openCcxtAdapters(
  config: LivegateConfig,
  engineId: string,
  env: NodeJS.ProcessEnv,
): Promise<CcxtAdapters> {
  const { venue: settings } = config;
  if (settings.id === null || settings.symbols.length === 0) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      'venue.id and venue.symbols are required when feed.kind or broker.kind is ccxt',
    );
  }
  const venueOptions = venueOptionsOf(settings.id, settings, env, VENUE_CREDENTIAL_VARIABLES);
  const venue = new CcxtVenue(venueOptions);
  try {
    await venue.load();
  } catch (error) {
    await venue.close().catch(() => undefined);
    throw new LivegateError(
      'ERR_FEED_FAILED',
      `cannot load ${settings.id}'s markets: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const { ccxt: feedSettings } = config.feed;
  const feed =
    config.feed.kind !== 'ccxt'
      ? undefined
      : feedSettings.mode === 'stream'
        ? new CcxtStreamFeed({
            venue: venueOptions,
            staleAfterMs: feedSettings.staleAfterMs,
            ...(settings.wsUrls === null ? {} : { wsUrls: settings.wsUrls }),
          })
        : new CcxtFeed({
            venue,
            pollIntervalMs: feedSettings.pollIntervalMs,
            staleAfterMs: feedSettings.staleAfterMs,
          });
  const broker =
    config.broker.kind === 'ccxt'
      ? new CcxtBroker({
          venue,
          fillPollIntervalMs: settings.fillPollIntervalMs,
          deadManCountdownMs: settings.deadMan.countdownMs,
          deadManRefreshEveryMs: settings.deadMan.refreshEveryMs,
          cancelOrdersOnClose: settings.cancelOrdersOnClose,
          cancelScopeOnKill: settings.cancelScope.kill,
          cancelScopeOnShutdown: settings.cancelScope.shutdown,
          clientOrderIdNamespace: engineId,
        })
      : undefined;
  return {
    feed,
    broker,
    symbolLimits: preTradeSymbolLimits(venue),
    instruments: venueInstruments(venue),
    close: () => venue.close(),
  };
}

// The WebSocket gateway feed and broker from the config (docs/gateway-protocol.md): livegate dials
// the gateway (`gateway.url`), or listens and the gateway dials in (`gateway.listen`). Imported on
// demand.

import { readFileSync } from 'node:fs';
import type { LivegateConfig } from '../config/schema.js';
import { LivegateError } from '../core/errors.js';
import { messageOf } from '../core/message-of.js';
import type { Broker, MarketFeed, VenueCanceller } from '../core/ports.js';
import {
  DialInVenueCanceller,
  type DialInKillSettings,
} from './gateway/dial-in-venue-canceller.js';
import { GatewayKillRelay } from './gateway/gateway-kill-relay.js';
import { GatewayListener, type GatewayListenerOptions } from './gateway/gateway-listener.js';
import { GatewayVenueCanceller } from './gateway/gateway-venue-canceller.js';
import { WebSocketBroker } from './gateway/websocket-broker.js';
import { WebSocketFeed } from './gateway/websocket-feed.js';

/** The secret a dial-in gateway presents; only ever from the environment. */
export const GATEWAY_TOKEN_VARIABLE = 'LIVEGATE_GATEWAY_TOKEN';
const MINIMUM_TOKEN_LENGTH = 16;

export interface GatewayAdapters {
  readonly feed: MarketFeed | undefined;
  readonly broker: Broker | undefined;
  /** Stops the dial-in listener, after the feed and broker have closed. */
  close(): Promise<void>;
}

function timings(config: LivegateConfig) {
  const { gateway } = config;
  return {
    heartbeatIntervalMs: gateway.heartbeatIntervalMs,
    staleAfterMs: gateway.staleAfterMs,
    requestTimeoutMs: gateway.requestTimeoutMs,
    reconnect: { ...gateway.reconnect },
  };
}

function dialled(config: LivegateConfig) {
  if (config.gateway.url === null) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      'gateway.url or gateway.listen is required when feed.kind or broker.kind is websocket',
    );
  }
  return { ...timings(config), url: config.gateway.url };
}

function feedOptions(config: LivegateConfig) {
  if (config.gateway.symbols.length === 0) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      'gateway.symbols: the websocket feed needs at least one',
    );
  }
  return { symbols: config.gateway.symbols, maxBufferedTicks: config.gateway.maxBufferedTicks };
}

/** The feed and broker the config names; with `gateway.listen`, listening before they start. */
export async function openGatewayAdapters(
  config: LivegateConfig,
  engineId: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<GatewayAdapters> {
  const wantsFeed = config.feed.kind === 'websocket';
  const wantsBroker = config.broker.kind === 'websocket';
  const cancelScopeOnKill = config.gateway.cancelScope.kill;
  if (config.gateway.listen === null) {
    return {
      feed: wantsFeed
        ? new WebSocketFeed({ ...dialled(config), ...feedOptions(config) })
        : undefined,
      broker: wantsBroker
        ? new WebSocketBroker({ ...dialled(config), cancelScopeOnKill, engineId })
        : undefined,
      close: () => Promise.resolve(),
    };
  }
  const symbols = wantsFeed ? feedOptions(config) : undefined;
  const listener = await GatewayListener.open(listenerOptions(config, env));
  const feed =
    symbols === undefined
      ? undefined
      : new WebSocketFeed({ ...timings(config), ...symbols }, listener.source('feed'));
  const broker = wantsBroker
    ? new WebSocketBroker(
        { ...timings(config), cancelScopeOnKill, engineId },
        listener.source('broker'),
      )
    : undefined;
  if (broker !== undefined) {
    const relay = new GatewayKillRelay(broker);
    listener.serveKillRelay((socket) => relay.serve(socket));
  }
  return { feed, broker, close: () => listener.close() };
}

/** The gateway's account as a kill reaches it: a connection of its own, no engine needed. */
export function createGatewayCanceller(
  config: LivegateConfig,
  env: NodeJS.ProcessEnv = process.env,
): VenueCanceller {
  if (config.gateway.listen !== null) {
    const settings: DialInKillSettings = {
      listener: listenerOptions(config, env),
      timings: timings(config),
    };
    return new DialInVenueCanceller(settings);
  }
  return new GatewayVenueCanceller(() => new WebSocketBroker(dialled(config)));
}

/** Where and how to listen: the address, the token from the environment, the TLS files read. */
export function listenerOptions(
  config: LivegateConfig,
  env: NodeJS.ProcessEnv,
): GatewayListenerOptions {
  const listen = config.gateway.listen ?? '';
  const split = listen.lastIndexOf(':');
  const host = listen.slice(0, split).replace(/^\[(.*)\]$/, '$1');
  const token = env[GATEWAY_TOKEN_VARIABLE] ?? '';
  if (token.length < MINIMUM_TOKEN_LENGTH) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `gateway.listen needs a token the gateway must present: set ${GATEWAY_TOKEN_VARIABLE} (at least ${MINIMUM_TOKEN_LENGTH} characters; it is ${token.length === 0 ? 'unset' : `${token.length} long`})`,
    );
  }
  const { tls } = config.gateway;
  return {
    host,
    port: Number(listen.slice(split + 1)),
    token,
    helloTimeoutMs: config.gateway.requestTimeoutMs,
    ...(tls === null
      ? {}
      : {
          tls: {
            certificate: readPem(tls.certFile, 'certFile'),
            key: readPem(tls.keyFile, 'keyFile'),
          },
        }),
  };
}

function readPem(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new LivegateError(
      'ERR_GATEWAY_LISTEN_FAILED',
      `gateway.tls.${key} cannot be read: ${messageOf(error)}`,
      { cause: error },
    );
  }
}

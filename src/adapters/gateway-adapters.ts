// The WebSocket gateway feed and broker from the config (docs/gateway-protocol.md). Imported on demand.

import type { LivegateConfig } from '../config/schema.js';
import { LivegateError } from '../core/errors.js';
import type { Broker, MarketFeed, VenueCanceller } from '../core/ports.js';
import { GatewayVenueCanceller } from './gateway/gateway-venue-canceller.js';
import { WebSocketBroker } from './gateway/websocket-broker.js';
import { WebSocketFeed } from './gateway/websocket-feed.js';

function connection(config: LivegateConfig) {
  const { gateway } = config;
  if (gateway.url === null) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      'gateway.url is required when feed.kind or broker.kind is websocket',
    );
  }
  return {
    url: gateway.url,
    heartbeatIntervalMs: gateway.heartbeatIntervalMs,
    staleAfterMs: gateway.staleAfterMs,
    requestTimeoutMs: gateway.requestTimeoutMs,
    reconnect: { ...gateway.reconnect },
  };
}

export function createGatewayFeed(config: LivegateConfig): MarketFeed | undefined {
  if (config.feed.kind !== 'websocket') return undefined;
  if (config.gateway.symbols.length === 0) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      'gateway.symbols: the websocket feed needs at least one',
    );
  }
  return new WebSocketFeed({
    ...connection(config),
    symbols: config.gateway.symbols,
    maxBufferedTicks: config.gateway.maxBufferedTicks,
  });
}

export function createGatewayBroker(config: LivegateConfig): Broker | undefined {
  if (config.broker.kind !== 'websocket') return undefined;
  return new WebSocketBroker({
    ...connection(config),
    cancelScopeOnKill: config.gateway.cancelScope.kill,
  });
}

/** The gateway's account as a kill reaches it: a connection of its own, no engine needed. */
export function createGatewayCanceller(config: LivegateConfig): VenueCanceller {
  return new GatewayVenueCanceller(() => new WebSocketBroker(connection(config)));
}

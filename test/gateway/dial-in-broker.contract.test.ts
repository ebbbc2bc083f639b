// The WebSocket broker passes the Broker contract when the gateway dials in: livegate listens, the
// reference gateway (scripts/dial-in-gateway) dials its /broker with the token and trades on its
// paper account (market orders fill later).
import { afterAll } from 'vitest';
import { GatewayListener } from '../../src/adapters/gateway/gateway-listener.js';
import { WebSocketBroker } from '../../src/adapters/gateway/websocket-broker.js';
import { ReferenceGateway } from '../../scripts/dial-in-gateway/reference-gateway.js';
import { runBrokerContract } from '../contracts/broker.contract.js';

const TOKEN = 'contract-dial-in-token-0123456789';
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

runBrokerContract('WebSocketBroker (dial-in)', async () => {
  const listener = await GatewayListener.open({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    helloTimeoutMs: 2000,
  });
  const gateway = new ReferenceGateway({
    url: `ws://127.0.0.1:${listener.port}`,
    token: TOKEN,
    roles: ['broker'],
    redialMs: 20,
    fillDelayMs: 5,
    fillParts: 1, // the contract expects one fill per market order; dial-in.test.ts splits them
  });
  cleanups.push(
    () => listener.close(),
    () => gateway.stop(),
  );
  gateway.start();
  return new WebSocketBroker({ requestTimeoutMs: 3000 }, listener.source('broker'));
});

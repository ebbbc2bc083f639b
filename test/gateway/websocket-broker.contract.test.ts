// The WebSocket broker passes the Broker contract against a local gateway with a simulated venue
// (one account per broker, so the tests cannot see each other's orders).
import { afterAll, beforeAll } from 'vitest';
import { WebSocketBroker } from '../../src/adapters/gateway/websocket-broker.js';
import { runBrokerContract } from '../contracts/broker.contract.js';
import { ScriptableGateway } from '../support/gateway-server.js';

let gateway: ScriptableGateway;
let accounts = 0;

beforeAll(async () => {
  gateway = await ScriptableGateway.start();
});

afterAll(async () => {
  await gateway.stop();
});

runBrokerContract(
  'WebSocketBroker',
  () => new WebSocketBroker({ url: `${gateway.url}/account-${++accounts}` }),
);

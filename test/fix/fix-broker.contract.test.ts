// The FIX broker passes the Broker contract against the local FIX venue (jspurefix as acceptor, a
// real socket), one SenderCompID per broker so the tests cannot see each other's orders.
import { afterAll, beforeAll } from 'vitest';
import { FixBroker } from '../../src/adapters/fix/fix-broker.js';
import { runBrokerContract } from '../contracts/broker.contract.js';
import { FixVenue } from '../support/fix-venue.js';

let venue: FixVenue;
let accounts = 0;

beforeAll(async () => {
  // The contract asks for one fill per market order; partial fills have tests of their own.
  venue = await FixVenue.start({ fillParts: 1 });
});

afterAll(async () => {
  await venue.stop();
});

runBrokerContract(
  'FixBroker',
  () =>
    new FixBroker({
      host: '127.0.0.1',
      port: venue.port,
      senderCompId: `LG${++accounts}`,
      targetCompId: venue.compId,
      username: 'desk',
      password: 'secret',
      requestTimeoutMs: 3000,
    }),
);

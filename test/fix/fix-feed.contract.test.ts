// The FIX feed passes the MarketFeed contract against the local FIX venue, which answers a
// MarketDataRequest with a snapshot and then streams incremental refreshes for two symbols.
import { afterAll, beforeAll } from 'vitest';
import { FixFeed } from '../../src/adapters/fix/fix-feed.js';
import { runMarketFeedContract } from '../contracts/market-feed.contract.js';
import { FixVenue } from '../support/fix-venue.js';

let venue: FixVenue;
let sessions = 0;

beforeAll(async () => {
  venue = await FixVenue.start();
});

afterAll(async () => {
  await venue.stop();
});

runMarketFeedContract(
  'FixFeed',
  (count) =>
    new FixFeed({
      host: '127.0.0.1',
      port: venue.port,
      senderCompId: `MD${++sessions}`,
      targetCompId: venue.compId,
      symbols: ['EURUSD', 'GBPUSD'],
      maxTicks: count,
    }),
);

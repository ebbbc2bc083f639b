// The synthetic feed passes the MarketFeed contract, both flat out and paced.
import { SyntheticMarketFeed } from '../../src/adapters/feeds/synthetic-market-feed.js';
import { runMarketFeedContract } from './market-feed.contract.js';

runMarketFeedContract(
  'SyntheticMarketFeed',
  (count) => new SyntheticMarketFeed({ count, symbols: ['EURUSD', 'GBPUSD', 'USDJPY'] }),
);

runMarketFeedContract(
  'SyntheticMarketFeed (paced at 200k ticks/s)',
  (count) => new SyntheticMarketFeed({ count, rate: 200_000 }),
);

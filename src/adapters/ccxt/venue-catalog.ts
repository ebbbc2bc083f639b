// The venues ccxt ships and what each offers livegate, read from ccxt's own `has` flags and URLs
// (for a `livegate venues` command); building every exchange takes a moment, so call it rarely.

import ccxt, { type Exchange } from 'ccxt';

export interface VenueSummary {
  /** The ccxt id, as `venue` in the options. */
  readonly id: string;
  readonly name: string;
  /** The venue's own dead-man switch (cancelAllOrdersAfter). */
  readonly deadMan: boolean;
  /** ccxt knows a test environment (`urls.test`), for `sandbox: true`. */
  readonly sandbox: boolean;
  readonly orderTypes: readonly ('market' | 'limit')[];
  /** Everything CcxtBroker needs: create, cancel, open orders, own trades. */
  readonly brokerReady: boolean;
}

export function supportedVenues(): VenueSummary[] {
  const constructors = ccxt as unknown as Record<string, new (config?: object) => Exchange>;
  const venues: VenueSummary[] = [];
  for (const id of ccxt.exchanges) {
    const ExchangeClass = constructors[id];
    if (ExchangeClass === undefined) continue;
    venues.push(summarise(id, new ExchangeClass()));
  }
  return venues.sort((left, right) => left.id.localeCompare(right.id));
}

function summarise(id: string, exchange: Exchange): VenueSummary {
  const has = exchange.has;
  const orderTypes: ('market' | 'limit')[] = [];
  if (has.createMarketOrder !== false && has.createOrder === true) orderTypes.push('market');
  if (has.createLimitOrder !== false && has.createOrder === true) orderTypes.push('limit');
  return {
    id,
    name: typeof exchange.name === 'string' ? exchange.name : id,
    deadMan: has.cancelAllOrdersAfter === true,
    sandbox: exchange.urls.test !== undefined && exchange.urls.test !== null,
    orderTypes,
    brokerReady:
      has.createOrder === true &&
      has.cancelOrder === true &&
      has.fetchOpenOrders === true &&
      has.fetchMyTrades === true,
  };
}

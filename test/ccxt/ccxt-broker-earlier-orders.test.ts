// A ccxt engine restarted after a crash (before the venue's dead-man countdown ran out) against the
// fake venue: the order its earlier run left resting is cancelled, a stranger's is left alone.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CcxtBroker } from '../../src/adapters/ccxt/ccxt-broker.js';
import { order, recordingListener } from '../contracts/broker.contract.js';
import { FakeVenueServer } from '../support/fake-venue-server.js';
import { testVenue } from './ccxt-test-venue.js';

describe('CcxtBroker.cancelEarlierOrders', () => {
  let server: FakeVenueServer;
  const brokers: CcxtBroker[] = [];
  beforeEach(async () => {
    server = await FakeVenueServer.start();
  });
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((broker) => broker.close()));
    await server.close();
  });

  function broker(): CcxtBroker {
    const created = new CcxtBroker({
      venue: testVenue(server, { symbols: ['BTC/USD'] }),
      fillPollIntervalMs: 10,
      retryInitialDelayMs: 5,
      retryMaxDelayMs: 20,
      maxAttempts: 4,
      cancelOrdersOnClose: false, // as after a SIGKILL: nothing cancelled on the way out
    });
    brokers.push(created);
    return created;
  }

  it("cancels the earlier run's resting order and leaves a stranger's", async () => {
    const crashed = broker();
    await crashed.connect(recordingListener());
    const resting = order({ symbol: 'BTC/USD', quantity: 0.02, type: 'limit', price: 40_000 });
    await crashed.submit(resting);
    const foreign = server.placeForeignOrder('XXBTZUSD', 'buy', 0.01, 30_000);
    await crashed.close();
    expect(server.openOrders()).toHaveLength(2);

    const restarted = broker();
    restarted.recognise({ orders: [resting], executionIds: [] });
    await restarted.connect(recordingListener());
    const outcomes = await restarted.cancelEarlierOrders();

    expect(outcomes).toEqual([
      expect.objectContaining({ orderId: resting.id, quantity: 0.02, cancelled: true }),
    ]);
    expect(server.openOrders().map((open) => open.txid)).toEqual([foreign.txid]);
  });
});

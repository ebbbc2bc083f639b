import { describe, expect, it } from 'vitest';
import { OrderTracker } from '../../src/adapters/ccxt/ccxt-order-tracker.js';
import type { Order } from '../../src/core/types.js';

const order: Order = {
  id: 'o1',
  symbol: 'BTC/USDT',
  side: 'buy',
  quantity: 2,
  type: 'market',
  price: undefined,
  tag: undefined,
  createdAt: 0,
};

function trackedOrder(): OrderTracker {
  const tracker = new OrderTracker('ns');
  tracker.accepted(tracker.track(order), 'v1', 10);
  return tracker;
}

describe('ccxt trades to fills', () => {
  it("carries the trade's fee and its currency onto the fill", () => {
    const fill = trackedOrder().applyTrade(
      { id: 't1', order: 'v1', amount: 1, price: 60_000, fee: { cost: 0.12, currency: 'BNB' } },
      20,
    );
    expect(fill).toMatchObject({ quantity: 1, price: 60_000, fee: 0.12, feeCurrency: 'BNB' });
  });

  it('leaves the currency to the quote when the venue names none, and adds nothing without a fee', () => {
    const tracker = trackedOrder();
    expect(
      tracker.applyTrade({ id: 't1', order: 'v1', amount: 1, price: 60_000, fee: { cost: 6 } }, 20),
    ).not.toHaveProperty('feeCurrency');
    const free = tracker.applyTrade({ id: 't2', order: 'v1', amount: 1, price: 60_000 }, 20);
    expect(free).not.toHaveProperty('fee');
  });
});

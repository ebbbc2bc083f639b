// The shared restart step audits what a cancel left unfilled, not what was open before it.

import { describe, expect, it } from 'vitest';
import { cancelEarlierOrders, type ListedOrder } from '../../src/adapters/cancel-earlier-orders.js';
import type { Order } from '../../src/core/types.js';

const order: Order = {
  id: 'e-1',
  symbol: 'EURUSD',
  side: 'buy',
  quantity: 700,
  type: 'limit',
  price: 1.09,
  tag: undefined,
  createdAt: 0,
};

function venue(leftWhenCancelled?: (listed: ListedOrder) => number | undefined) {
  let open: ListedOrder[] = [
    { clientOrderId: 'c-1', symbol: 'EURUSD', side: 'buy', quantity: 700 },
  ];
  return cancelEarlierOrders({
    list: () => Promise.resolve(open),
    earlierOrder: (clientOrderId) => (clientOrderId === 'c-1' ? order : undefined),
    cancel: () => {
      open = [];
      return Promise.resolve(true);
    },
    ...(leftWhenCancelled === undefined ? {} : { leftWhenCancelled }),
  });
}

describe('cancelEarlierOrders', () => {
  it('takes what the cancel confirmation left unfilled (a fill raced the cancel)', async () => {
    const [outcome] = await venue(() => 400);
    expect(outcome).toMatchObject({ cancelled: true, quantity: 700, leftQuantity: 400 });
  });

  it('falls back to what the venue listed open when the confirmation does not say', async () => {
    const [outcome] = await venue(() => undefined);
    expect(outcome).toMatchObject({ cancelled: true, leftQuantity: 700 });
    const [plain] = await venue();
    expect(plain).toMatchObject({ cancelled: true, leftQuantity: 700 });
  });
});

// Issue 10, scenario 2 through a real local gateway: a partly filled order keeps counting its
// remaining quantity until the gateway says it is done, and an expiry at the venue ends it.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketBroker } from '../../src/adapters/gateway/websocket-broker.js';
import type { Signal } from '../../src/core/types.js';
import { LiveEngine } from '../../src/engine/live-engine.js';
import { PreTradeRiskEngine } from '../../src/risk/pre-trade/pre-trade-risk-engine.js';
import { collect, openKillSwitch, ScriptedStrategy, ticks } from '../engine/engine-fixtures.js';
import { ScriptableGateway, waitFor } from '../support/gateway-server.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function restingBuy(quantity: number): Signal {
  return { symbol: 'EURUSD', side: 'buy', quantity, type: 'limit', price: 0.55 };
}

describe('WebSocketBroker working orders (issue 10, scenario 2)', () => {
  it('maxPosition counts a partly filled order until the gateway expires it', async () => {
    const gateway = await ScriptableGateway.start();
    cleanups.push(() => gateway.stop());
    const venue = gateway.venue('/account');
    const broker = new WebSocketBroker({ url: `${gateway.url}/account` });
    cleanups.push(() => broker.close());
    const { killSwitch } = await openKillSwitch();
    const firstId = () => venue.openOrders[0]!.clientOrderId;
    const strategy = new ScriptedStrategy(async (_tick, _context, call) => {
      if (call === 1) return restingBuy(10);
      if (call === 2) {
        await waitFor(() => venue.openOrders.length === 1, 'the order resting');
        venue.fill(firstId(), 0.55, 4);
        await waitFor(() => engine.position('EURUSD') === 4, 'the partial fill');
        return restingBuy(6); // 4 filled + 6 still working + 6 = 16: denied
      }
      if (call === 3) {
        venue.expire(firstId());
        await waitFor(() => seen.ofType('OrderDone').length === 1, 'the expiry reported');
        return restingBuy(6); // 4 + 6 = 10: accepted
      }
      return null;
    });
    const engine: LiveEngine = new LiveEngine({
      killSwitch,
      strategy,
      broker,
      preTradeRisk: new PreTradeRiskEngine({
        defaults: { maxPosition: 10, collarPercent: Infinity },
      }),
      cancelOpenOrdersOnShutdown: false,
    });
    const seen = collect((listener) => engine.on(listener));
    await engine.run(ticks(3));
    expect(seen.ofType('OrderDenied').map((event) => [event.code, event.quantity])).toEqual([
      ['MAX_POSITION_EXCEEDED', 6],
    ]);
    expect(seen.ofType('OrderDone')).toEqual([expect.objectContaining({ reason: 'expired' })]);
    expect(seen.ofType('OrderSubmitted')).toHaveLength(2);
  });
});

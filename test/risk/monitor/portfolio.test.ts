import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { OrderFilled } from '../../../src/core/events.js';
import { signedQuantity, type Side } from '../../../src/core/types.js';
import { Portfolio } from '../../../src/risk/monitor/portfolio.js';
import { NOON, tickAt } from './monitor-fixtures.js';

function book(start = NOON) {
  const clock = new ManualClock(start);
  const portfolio = new Portfolio(clock);
  const positions = new Map<string, number>();
  return {
    clock,
    portfolio,
    fill: (symbol: string, side: Side, quantity: number, price: number) => {
      const position = (positions.get(symbol) ?? 0) + signedQuantity(side, quantity);
      positions.set(symbol, position);
      const event: OrderFilled = {
        type: 'OrderFilled',
        time: clock.now(),
        engineId: 'engine-a',
        fill: { orderId: 'o', symbol, side, quantity, price, time: clock.now() },
        position,
      };
      portfolio.applyFill(event);
    },
    mark: (symbol: string, mid: number) => {
      portfolio.observeTick(tickAt(symbol, mid, clock.now()));
      portfolio.revalue();
    },
  };
}

describe('Portfolio', () => {
  it('averages the entry price of a growing long and marks it to the latest mid', () => {
    const { portfolio, fill, mark } = book();
    fill('EURUSD', 'buy', 10, 100);
    fill('EURUSD', 'buy', 10, 110);
    mark('EURUSD', 120);
    expect(portfolio.snapshot().positions).toEqual([
      {
        symbol: 'EURUSD',
        quantity: 20,
        averagePrice: 105,
        markPrice: 120,
        unrealizedPnl: 300,
        quoteCurrency: 'USD',
      },
    ]);
    expect(portfolio.snapshot()).toMatchObject({
      realizedPnl: 0,
      unrealizedPnl: 300,
      grossExposure: 2400,
    });
    expect(portfolio.equity).toBe(300);
  });

  it('realizes PnL on a partial close and keeps the entry price of what is left', () => {
    const { portfolio, fill, mark } = book();
    fill('EURUSD', 'buy', 20, 105);
    fill('EURUSD', 'sell', 5, 115);
    mark('EURUSD', 110);
    expect(portfolio.realizedPnl).toBe(50);
    expect(portfolio.position('EURUSD')).toMatchObject({ quantity: 15, averagePrice: 105 });
    expect(portfolio.unrealizedPnl).toBe(75);
    expect(portfolio.equity).toBe(125);
  });

  it('gains on a short when the price falls, and realizes it when buying back', () => {
    const { portfolio, fill, mark } = book();
    fill('EURUSD', 'sell', 10, 100);
    mark('EURUSD', 90);
    expect(portfolio.unrealizedPnl).toBe(100);
    fill('EURUSD', 'buy', 4, 95);
    expect(portfolio.realizedPnl).toBe(20);
    expect(portfolio.position('EURUSD')).toMatchObject({ quantity: -6, averagePrice: 100 });
    expect(portfolio.unrealizedPnl).toBe(60);
    expect(portfolio.grossExposure).toBe(540);
  });

  it('closes the whole position on a flip and opens the rest at the fill price', () => {
    const { portfolio, fill, mark } = book();
    fill('EURUSD', 'buy', 10, 100);
    fill('EURUSD', 'sell', 15, 110);
    expect(portfolio.realizedPnl).toBe(100);
    expect(portfolio.position('EURUSD')).toMatchObject({ quantity: -5, averagePrice: 110 });
    mark('EURUSD', 120);
    expect(portfolio.unrealizedPnl).toBe(-50);
  });

  it('drops a flat position from the snapshot but keeps what it realized', () => {
    const { portfolio, fill, mark } = book();
    fill('EURUSD', 'buy', 10, 100);
    mark('EURUSD', 101);
    fill('EURUSD', 'sell', 10, 103);
    const snapshot = portfolio.snapshot();
    expect(snapshot.positions).toEqual([]);
    expect(snapshot).toMatchObject({ realizedPnl: 30, unrealizedPnl: 0, grossExposure: 0 });
    fill('EURUSD', 'buy', 1, 90);
    expect(portfolio.position('EURUSD')).toMatchObject({ quantity: 1, averagePrice: 90 });
  });

  it('values a position with no tick yet at its entry price: no PnL, but real exposure', () => {
    const { portfolio, fill } = book();
    fill('GBPUSD', 'sell', 3, 50);
    expect(portfolio.snapshot()).toMatchObject({
      positions: [{ symbol: 'GBPUSD', markPrice: 0, unrealizedPnl: 0 }],
      unrealizedPnl: 0,
      grossExposure: 150,
    });
  });

  it('sums PnL and gross exposure across symbols, long and short', () => {
    const { portfolio, fill, mark } = book();
    fill('A', 'buy', 10, 100);
    fill('B', 'sell', 5, 200);
    mark('A', 90);
    mark('B', 190);
    expect(portfolio.unrealizedPnl).toBe(-100 + 50);
    expect(portfolio.grossExposure).toBe(900 + 950);
  });

  it('tracks the equity peak and the drawdown from it', () => {
    const { portfolio, fill, mark } = book();
    expect(portfolio.equityPeak).toBe(0);
    fill('EURUSD', 'buy', 10, 100);
    mark('EURUSD', 120);
    expect(portfolio.equityPeak).toBe(200);
    mark('EURUSD', 90);
    expect(portfolio.snapshot()).toMatchObject({ equityPeak: 200, drawdown: 300 });
    mark('EURUSD', 110);
    expect(portfolio.drawdown).toBe(100);
  });

  it('counts a loss from a flat start as drawdown from a zero peak', () => {
    const { portfolio, fill, mark } = book();
    fill('EURUSD', 'buy', 10, 100);
    mark('EURUSD', 95);
    expect(portfolio.equityPeak).toBe(0);
    expect(portfolio.drawdown).toBe(50);
  });

  it('rolls daily PnL over at UTC midnight on the injected clock', () => {
    const { clock, portfolio, fill, mark } = book(Date.UTC(2024, 0, 2, 23, 0, 0));
    fill('EURUSD', 'buy', 10, 100);
    mark('EURUSD', 90);
    expect(portfolio.dailyPnl).toBe(-100);
    clock.advance(59 * 60_000 + 59_999); // 23:59:59.999, still the same day
    mark('EURUSD', 90);
    expect(portfolio.dailyPnl).toBe(-100);
    clock.advance(1); // midnight
    mark('EURUSD', 90);
    expect(portfolio.dailyPnl).toBe(0);
    mark('EURUSD', 80);
    expect(portfolio.snapshot()).toMatchObject({ dailyPnl: -100, unrealizedPnl: -200 });
  });

  it('counts a fill made just after midnight in the new day', () => {
    const { clock, portfolio, fill, mark } = book(Date.UTC(2024, 0, 2, 23, 59, 0));
    fill('EURUSD', 'buy', 10, 100);
    mark('EURUSD', 90);
    clock.advance(120_000);
    fill('EURUSD', 'sell', 10, 80);
    expect(portfolio.realizedPnl).toBe(-200);
    expect(portfolio.dailyPnl).toBe(-100);
  });

  it('marks a symbol in place: ticks after the first reuse the same holding', () => {
    const { portfolio, fill } = book();
    fill('EURUSD', 'buy', 1, 100);
    const holding = portfolio.position('EURUSD');
    for (let mid = 101; mid < 200; mid++) portfolio.observeTick(tickAt('EURUSD', mid));
    expect(portfolio.position('EURUSD')).toBe(holding);
    expect(holding?.markPrice).toBe(199);
  });
});

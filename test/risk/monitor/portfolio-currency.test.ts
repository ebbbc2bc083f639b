import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { OrderFilled } from '../../../src/core/events.js';
import { InstrumentCatalog, type Instrument } from '../../../src/core/instrument-catalog.js';
import { signedQuantity, type Fill, type Side } from '../../../src/core/types.js';
import { ConversionRates } from '../../../src/risk/conversion-rates.js';
import { Portfolio } from '../../../src/risk/monitor/portfolio.js';
import { SeededRandom } from '../../support/seeded-random.js';
import { NOON } from './monitor-fixtures.js';

const CASES = 500;

function account(
  currency: string,
  instruments: Record<string, Instrument> = {},
  configured: Record<string, number> = {},
) {
  const clock = new ManualClock(NOON);
  const portfolio = new Portfolio(
    clock,
    new ConversionRates(new InstrumentCatalog(currency, instruments), configured),
  );
  const positions = new Map<string, number>();
  let orders = 0;
  return {
    portfolio,
    fill(symbol: string, side: Side, quantity: number, price: number, fee?: Partial<Fill>) {
      const position = (positions.get(symbol) ?? 0) + signedQuantity(side, quantity);
      positions.set(symbol, position);
      const event: OrderFilled = {
        type: 'OrderFilled',
        time: clock.now(),
        engineId: 'engine-a',
        fill: { orderId: `o${++orders}`, symbol, side, quantity, price, time: clock.now(), ...fee },
        position,
      };
      portfolio.applyFill(event);
    },
    mark(symbol: string, mid: number) {
      portfolio.observeTick({ symbol, bid: mid, ask: mid, time: clock.now() });
      portfolio.revalue();
    },
  };
}

/** Equal within a relative tolerance that float sums of a few terms stay inside. */
function expectClose(actual: number, expected: number, label: string): void {
  const tolerance = 1e-9 * Math.max(1, Math.abs(expected));
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    tolerance,
  );
}

describe('Portfolio in an account currency', () => {
  it('realizes a round trip as price difference × size × contract size minus fees, converted', () => {
    const random = new SeededRandom(20261205);
    for (let index = 0; index < CASES; index++) {
      const symbol = random.pick(['EURUSD', 'USDJPY', 'XAUUSD', 'EURJPY']);
      const contractSize = random.pick([1, 100, 1000, 100_000]);
      const { base, quote } = { base: symbol.slice(0, 3), quote: symbol.slice(3) };
      const book = account('USD', { [symbol]: { base, quote, contractSize } });
      const usdjpy = random.between(100, 200);
      // JPY's rate comes from the feed's USDJPY quote whether or not USDJPY is the traded symbol.
      book.mark('USDJPY', usdjpy);
      const rate = quote === 'JPY' ? 1 / usdjpy : 1;
      const side = random.pick<Side>(['buy', 'sell']);
      const size = random.integer(1, 50);
      const open = random.between(0.5, 300);
      const close = random.between(0.5, 300);
      const openFee = random.between(0, 20);
      const closeFee = random.between(-2, 20);
      book.fill(symbol, side, size, open, { fee: openFee });
      // The close arrives in up to three partial fills; only their sum matters.
      let left = size;
      let closeFees = 0;
      while (left > 0) {
        const part = left === 1 ? 1 : random.integer(1, left);
        const fee = (closeFee * part) / size;
        closeFees += fee;
        book.fill(symbol, side === 'buy' ? 'sell' : 'buy', part, close, { fee });
        left -= part;
      }
      const direction = side === 'buy' ? 1 : -1;
      const expected =
        ((close - open) * direction * size * contractSize - openFee - closeFees) * rate;
      const label = `case ${index}: ${side} ${size} ${symbol} ×${contractSize}`;
      expectClose(book.portfolio.realizedPnl, expected, label);
      expectClose(book.portfolio.unrealizedPnl, 0, label);
      expect(book.portfolio.snapshot().positions, label).toEqual([]);
    }
  });

  it('values JPY and USD exposure on one scale: 1 USDJPY is worth 1 USD, not 150', () => {
    const random = new SeededRandom(7);
    for (let index = 0; index < CASES; index++) {
      const book = account('USD');
      const eurusd = random.between(0.9, 1.3);
      const usdjpy = random.between(100, 200);
      const eurSize = random.integer(1, 1_000_000);
      const jpySize = random.integer(1, 1_000_000);
      book.mark('EURUSD', eurusd);
      book.mark('USDJPY', usdjpy);
      book.fill('EURUSD', 'buy', eurSize, eurusd);
      book.fill('USDJPY', 'sell', jpySize, usdjpy);
      const label = `case ${index}`;
      // A USDJPY position is |size| dollars whatever the yen price; EURUSD is size × EURUSD.
      expectClose(book.portfolio.grossExposure, eurSize * eurusd + jpySize, label);
      // Each alone, the two books compare as their dollar values do (unconverted, yen would win).
      const euroOnly = account('USD');
      euroOnly.mark('EURUSD', eurusd);
      euroOnly.fill('EURUSD', 'buy', eurSize, eurusd);
      const yenOnly = account('USD');
      yenOnly.mark('USDJPY', usdjpy);
      yenOnly.fill('USDJPY', 'sell', jpySize, usdjpy);
      expect(euroOnly.portfolio.grossExposure > yenOnly.portfolio.grossExposure, label).toBe(
        eurSize * eurusd > jpySize,
      );
    }
  });

  it('converts a yen loss at the current USDJPY rate into daily loss and drawdown', () => {
    const book = account('USD');
    book.mark('USDJPY', 150);
    book.fill('USDJPY', 'buy', 1000, 150);
    book.mark('USDJPY', 147);
    // 1000 × (147 − 150) = −3000 JPY, worth −3000 / 147 USD at the current rate.
    expectClose(book.portfolio.unrealizedPnl, -3000 / 147, 'unrealized');
    expectClose(book.portfolio.dailyPnl, -3000 / 147, 'daily');
    expectClose(book.portfolio.drawdown, 3000 / 147, 'drawdown');
  });

  it('counts a fee in its own currency and lists a currency it cannot convert', () => {
    const book = account('USD', {}, { JPY: 0.0065 });
    book.fill('EURUSD', 'buy', 10, 1.1, { fee: 2, feeCurrency: 'BNB' });
    book.fill('EURJPY', 'buy', 10, 160, { fee: 3 });
    const snapshot = book.portfolio.snapshot();
    expect(snapshot.accountCurrency).toBe('USD');
    // JPY is configured; BNB is neither traded against USD nor configured.
    expect(snapshot.missingConversionRates).toEqual(['BNB']);
    expectClose(snapshot.realizedPnl, -3 * 0.0065, 'realized without the BNB fee');
    // A quote of BNB against the account currency supplies the rate.
    book.mark('BNB/USD', 600);
    expect(book.portfolio.snapshot().missingConversionRates).toEqual([]);
    expectClose(book.portfolio.realizedPnl, -3 * 0.0065 - 2 * 600, 'realized with the BNB fee');
  });

  it('leaves a position without a rate out of the totals and names its currency', () => {
    const book = account('EUR');
    book.fill('USDJPY', 'buy', 100, 150);
    const snapshot = book.portfolio.snapshot();
    expect(snapshot.grossExposure).toBe(0);
    expect(snapshot.missingConversionRates).toEqual(['JPY']);
    expect(snapshot.positions[0]).toMatchObject({ symbol: 'USDJPY', unrealizedPnl: 0 });
    book.mark('EURJPY', 160);
    expectClose(book.portfolio.snapshot().grossExposure, (100 * 150) / 160, 'exposure via EURJPY');
    expect(book.portfolio.snapshot().missingConversionRates).toEqual([]);
  });
});

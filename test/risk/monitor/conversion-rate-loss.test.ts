// A loss in a currency whose rate goes bad, silent or stale keeps counting at the last known rate:
// it never vanishes from dailyLoss, drawdown or exposure, while new exposure is denied.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { InstrumentCatalog } from '../../../src/core/instrument-catalog.js';
import type { Side, Signal } from '../../../src/core/types.js';
import { ConversionRates } from '../../../src/risk/conversion-rates.js';
import { PreTradeRiskEngine } from '../../../src/risk/pre-trade/pre-trade-risk-engine.js';
import { createHarness, NOON } from './monitor-fixtures.js';

const MAX_AGE_MS = 5_000;

const market = (symbol: string, side: Side, quantity: number): Signal => ({
  symbol,
  side,
  quantity,
  type: 'market',
  price: undefined,
});

async function yenBook(maxAgeMs = Infinity) {
  const clock = new ManualClock(NOON);
  const rates = new ConversionRates(new InstrumentCatalog('USD'), {}, { maxAgeMs, clock });
  const harness = await createHarness(
    { rules: { dailyLoss: { limit: 1_000 } } },
    { clock, rates, symbols: ['EURJPY', 'USDJPY'] },
  );
  const chain = new PreTradeRiskEngine({}, { clock, rates });
  const tick = (symbol: string, mid: number) => {
    harness.tick(symbol, mid);
    chain.observeTick({ symbol, bid: mid - 0.5, ask: mid + 0.5, time: clock.now() });
  };
  // Long 10,000 EURJPY at 160 with USDJPY at 150: each yen is worth 1/150 USD.
  tick('USDJPY', 150);
  tick('EURJPY', 160);
  harness.fill('EURJPY', 'buy', 10_000, 160);
  chain.onEvent({
    type: 'OrderFilled',
    time: clock.now(),
    engineId: 'engine-a',
    fill: { orderId: 'f1', symbol: 'EURJPY', side: 'buy', quantity: 10_000, price: 160, time: 0 },
    position: 10_000,
  });
  return { ...harness, clock, rates, chain, tick };
}

describe('a loss whose conversion rate goes away', () => {
  it('keeps counting at the last rate after a bad quote of the rate pair, and trips dailyLoss', async () => {
    const book = await yenBook();
    book.tick('EURJPY', 150);
    book.monitor.evaluate();
    // −100,000 JPY at 1/150.
    expect(book.monitor.snapshot().dailyPnl).toBeCloseTo(-100_000 / 150, 6);
    // A feed that does not validate its quotes sends an empty book for USDJPY.
    book.monitor.observeTick({ symbol: 'USDJPY', bid: 0, ask: 0, time: book.clock.now() });
    book.tick('EURJPY', 140);
    book.monitor.evaluate();
    const snapshot = book.monitor.snapshot();
    expect(snapshot.dailyPnl).toBeCloseTo(-200_000 / 150, 6);
    expect(snapshot.grossExposure).toBeCloseTo((10_000 * 140) / 150, 6);
    expect(book.breaches().map((breach) => breach.rule)).toEqual(['dailyLoss']);
    expect((await book.lastRecord())?.state).toBe('ENGAGED');
  });

  it('when the rate pair stops quoting: stale after maxAgeMs, losses still count and trip dailyLoss', async () => {
    const book = await yenBook(MAX_AGE_MS);
    expect(book.chain.check(market('EURJPY', 'buy', 1), 10_000, book.clock.now())).toBeNull();
    // USDJPY goes silent; EURJPY keeps quoting and falling.
    for (let second = 1; second <= 6; second++) {
      book.clock.advance(1_000);
      book.tick('EURJPY', 160 - second * 2);
      book.monitor.evaluate();
    }
    // 6 s without a USDJPY quote against a 5 s limit (the sweep runs with each evaluation).
    const snapshot = book.monitor.snapshot();
    expect(snapshot.staleConversionRates).toEqual([
      { currency: 'JPY', lastRate: 1 / 150, ageMs: 6_000 },
    ]);
    expect(snapshot.missingConversionRates).toEqual([]);
    expect(snapshot.dailyPnl).toBeCloseTo((-12 * 10_000) / 150, 6);
    // New exposure is denied, naming the rate as stale; a reducing order still gets out.
    expect(book.chain.check(market('EURJPY', 'buy', 1), 10_000, book.clock.now())).toEqual({
      code: 'NO_CONVERSION_RATE',
      details: {
        symbol: 'EURJPY',
        currency: 'JPY',
        accountCurrency: 'USD',
        rate: 'stale',
        lastRate: 1 / 150,
        ageMs: 6_000,
      },
    });
    expect(book.chain.check(market('EURJPY', 'sell', 1), 10_000, book.clock.now())).toBeNull();
    // The fall goes on: −170,000 JPY ≥ 1,000 USD at the last rate.
    book.tick('EURJPY', 143);
    book.monitor.evaluate();
    expect(book.breaches().map((breach) => breach.rule)).toEqual(['dailyLoss']);
    // A fresh quote makes the rate usable again.
    book.tick('USDJPY', 151);
    book.monitor.evaluate();
    expect(book.monitor.snapshot().staleConversionRates).toEqual([]);
    expect(book.chain.check(market('EURJPY', 'buy', 1), 10_000, book.clock.now())).toBeNull();
  });

  it('names a currency no rate was ever known for from the start, before any order or tick', async () => {
    const clock = new ManualClock(NOON);
    const rates = new ConversionRates(new InstrumentCatalog('USD'));
    const harness = await createHarness(
      {},
      { clock, rates, symbols: ['EURUSD', 'USDJPY', 'EURJPY'] },
    );
    expect(harness.monitor.snapshot().missingConversionRates).toEqual(['JPY']);
    harness.tick('USDJPY', 150);
    expect(harness.monitor.snapshot().missingConversionRates).toEqual([]);
  });
});

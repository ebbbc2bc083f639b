import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { InstrumentCatalog, inferInstrument } from '../../src/core/instrument-catalog.js';
import { ConversionRates, type ConvertedSymbol } from '../../src/risk/conversion-rates.js';

const tick = (symbol: string, mid: number) => ({ symbol, bid: mid, ask: mid, time: 0 });
const slot = (symbol: string): ConvertedSymbol => ({
  symbol,
  toAccount: Number.NaN,
  toAccountLastKnown: Number.NaN,
});

describe('InstrumentCatalog', () => {
  it('reads currencies from FX and ccxt names and quotes anything else in the account currency', () => {
    expect(inferInstrument('USDJPY', 'USD')).toEqual({
      base: 'USD',
      quote: 'JPY',
      contractSize: 1,
    });
    expect(inferInstrument('BTC/USDT:USDT', 'USD')).toEqual({
      base: 'BTC',
      quote: 'USDT',
      contractSize: 1,
    });
    expect(inferInstrument('XAUUSD', 'EUR')).toMatchObject({ base: 'XAU', quote: 'USD' });
    // Six letters that are not two currencies stay a single instrument.
    expect(inferInstrument('GOOGLE', 'EUR')).toEqual({
      base: 'GOOGLE',
      quote: 'EUR',
      contractSize: 1,
    });
  });

  it('prefers a configured entry over the name', () => {
    const catalog = new InstrumentCatalog('USD', {
      XAUUSD: { base: 'XAU', quote: 'USD', contractSize: 100 },
    });
    expect(catalog.get('XAUUSD').contractSize).toBe(100);
    expect(catalog.isDefined('XAUUSD')).toBe(true);
    expect(catalog.isDefined('EURUSD')).toBe(false);
  });
});

describe('ConversionRates', () => {
  it('takes a JPY rate from the USDJPY quote, inverted, and keeps each factor current', () => {
    const rates = new ConversionRates(new InstrumentCatalog('USD'));
    const usdjpy = slot('USDJPY');
    const eurjpy = slot('EURJPY');
    const eurusd = slot('EURUSD');
    rates.track(usdjpy);
    rates.track(eurjpy);
    rates.track(eurusd);
    expect(eurusd.toAccount).toBe(1);
    expect(usdjpy.toAccount).toBeNaN();
    expect(rates.missing()).toEqual(['JPY']);
    rates.observeTick(tick('USDJPY', 150));
    expect(usdjpy.toAccount).toBeCloseTo(1 / 150, 12);
    expect(eurjpy.toAccount).toBeCloseTo(1 / 150, 12);
    rates.observeTick(tick('USDJPY', 160));
    expect(eurjpy.toAccount).toBeCloseTo(1 / 160, 12);
    expect(rates.missing()).toEqual([]);
  });

  it('uses a configured rate until the feed quotes the pair, and again after a bad quote', () => {
    const rates = new ConversionRates(new InstrumentCatalog('USD'), { EUR: 1.05 });
    const eurgbp = new ConversionRates(new InstrumentCatalog('GBP'), {});
    const position = slot('EURCHF');
    rates.track(position);
    expect(rates.valueOf('EUR')).toBe(1.05);
    rates.observeTick(tick('EURUSD', 1.1));
    expect(rates.valueOf('EUR')).toBe(1.1);
    rates.observeTick({ symbol: 'EURUSD', bid: 0, ask: 0, time: 0 });
    expect(rates.valueOf('EUR')).toBe(1.05);
    // CHF has no pair against USD and no configured rate: unknown, never guessed.
    expect(position.toAccount).toBeNaN();
    expect(eurgbp.valueOf('EUR')).toBeNaN();
  });

  it('multiplies the contract size into the factor', () => {
    const catalog = new InstrumentCatalog('EUR', {
      GOLD: { base: 'XAU', quote: 'USD', contractSize: 100 },
    });
    const rates = new ConversionRates(catalog);
    const gold = slot('GOLD');
    rates.track(gold);
    rates.observeTick(tick('EURUSD', 1.25));
    expect(gold.toAccount).toBeCloseTo(100 / 1.25, 10);
  });

  it('derives a rate through one third currency when both legs are quoted (JPY in EUR via USD)', () => {
    const rates = new ConversionRates(new InstrumentCatalog('EUR'));
    const usdjpy = slot('USDJPY');
    rates.track(usdjpy);
    rates.observeTick(tick('USDJPY', 150));
    // One leg alone is not a rate.
    expect(usdjpy.toAccount).toBeNaN();
    expect(rates.missing()).toEqual(['JPY']);
    rates.observeTick(tick('EURUSD', 1.1));
    // 1 JPY = 1/150 USD = 1/(150 × 1.1) EUR.
    expect(usdjpy.toAccount).toBeCloseTo(1 / (150 * 1.1), 15);
    rates.observeTick(tick('USDJPY', 160));
    expect(usdjpy.toAccount).toBeCloseTo(1 / (160 * 1.1), 15);
    expect(rates.missing()).toEqual([]);
  });

  it('prefers a direct pair to a cross, and a cross to a configured rate', () => {
    const rates = new ConversionRates(new InstrumentCatalog('USD'), { CHF: 1 });
    const eurchf = slot('EURCHF');
    rates.track(eurchf);
    expect(eurchf.toAccount).toBe(1);
    rates.observeTick(tick('EURCHF', 0.95));
    rates.observeTick(tick('EURUSD', 1.1));
    // EURJPY-style cross: CHF → EUR (1/EURCHF) → USD (EURUSD).
    expect(eurchf.toAccount).toBeCloseTo(1.1 / 0.95, 15);
    rates.observeTick(tick('USDCHF', 0.9));
    expect(eurchf.toAccount).toBeCloseTo(1 / 0.9, 15);
  });

  it('expires a feed rate after maxAgeMs: unusable for new exposure, kept for valuation', () => {
    const clock = new ManualClock(0);
    const rates = new ConversionRates(new InstrumentCatalog('EUR'), {}, { maxAgeMs: 1_000, clock });
    const position = slot('USDJPY');
    rates.track(position);
    rates.observeTick(tick('USDJPY', 150));
    rates.observeTick(tick('EURUSD', 1.1));
    const rate = 1 / (150 * 1.1);
    for (let step = 1; step <= 10; step++) {
      clock.advance(100);
      rates.expire();
      // EURUSD keeps quoting; USDJPY went silent at 0.
      rates.observeTick(tick('EURUSD', 1.1));
    }
    expect(position.toAccount).toBeCloseTo(rate, 15);
    clock.advance(100);
    rates.expire();
    expect(position.toAccount).toBeNaN();
    expect(position.toAccountLastKnown).toBeCloseTo(rate, 15);
    expect(rates.stale()).toEqual([{ currency: 'JPY', lastRate: rate, ageMs: 1_100 }]);
    expect(rates.missing()).toEqual([]);
    // A bad quote is no better than silence; a good one makes the rate usable at once.
    rates.observeTick({ symbol: 'USDJPY', bid: 0, ask: 0, time: 0 });
    expect(position.toAccount).toBeNaN();
    rates.observeTick(tick('USDJPY', 150));
    expect(position.toAccount).toBeCloseTo(rate, 15);
    expect(rates.stale()).toEqual([]);
  });
});

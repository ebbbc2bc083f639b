import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { LivegateEvent } from '../../../src/core/events.js';
import { InstrumentCatalog, type Instrument } from '../../../src/core/instrument-catalog.js';
import type { Side, Signal } from '../../../src/core/types.js';
import { ConversionRates } from '../../../src/risk/conversion-rates.js';
import type { PreTradeLimits } from '../../../src/risk/pre-trade/pre-trade-limits.js';
import { PreTradeRiskEngine } from '../../../src/risk/pre-trade/pre-trade-risk-engine.js';

const T0 = 1_700_000_000_000;

function chain(
  limits: PreTradeLimits,
  options: {
    account?: string;
    instruments?: Record<string, Instrument>;
    configured?: Record<string, number>;
  } = {},
) {
  const catalog = new InstrumentCatalog(options.account ?? 'USD', options.instruments);
  const rates = new ConversionRates(catalog, options.configured);
  const engine = new PreTradeRiskEngine(limits, { clock: new ManualClock(T0), rates });
  return {
    engine,
    quote: (symbol: string, mid: number) =>
      engine.observeTick({ symbol, bid: mid, ask: mid, time: T0 }),
    hold: (symbol: string, position: number) => engine.onEvent(filled(symbol, position)),
    market: (symbol: string, side: Side, quantity: number, position = 0) =>
      engine.check(order(symbol, side, quantity), position, T0),
  };
}

function order(symbol: string, side: Side, quantity: number): Signal {
  return { symbol, side, quantity, type: 'market', price: undefined };
}

function filled(symbol: string, position: number): LivegateEvent {
  return {
    type: 'OrderFilled',
    time: T0,
    engineId: 'test',
    fill: { orderId: `f-${symbol}`, symbol, side: 'buy', quantity: 1, price: 1, time: T0 },
    position,
  };
}

describe('pre-trade chain in an account currency', () => {
  it('counts a USDJPY position at its dollar value against maxGrossExposure', () => {
    const { quote, hold, market } = chain({ maxGrossExposure: 3000 });
    quote('USDJPY', 150);
    quote('EURUSD', 1.1);
    hold('USDJPY', 1000);
    // 1000 USDJPY is 1000 USD (not 150,000); 1800 EUR is 1980 USD: 2980 fits, 1900 EUR does not.
    expect(market('EURUSD', 'buy', 1800)).toBeNull();
    expect(market('EURUSD', 'buy', 1900)).toMatchObject({
      code: 'MAX_GROSS_EXPOSURE_EXCEEDED',
      details: { limit: 3000 },
    });
  });

  it('multiplies the contract size into the exposure', () => {
    const { quote, market } = chain(
      { maxGrossExposure: 250_000 },
      { instruments: { XAUUSD: { base: 'XAU', quote: 'USD', contractSize: 100 } } },
    );
    quote('XAUUSD', 2000);
    // One lot is 100 oz × 2000 = 200,000 USD; two are 400,000.
    expect(market('XAUUSD', 'buy', 1)).toBeNull();
    expect(market('XAUUSD', 'buy', 2)).toMatchObject({
      code: 'MAX_GROSS_EXPOSURE_EXCEEDED',
      details: { actual: 400_000 },
    });
  });

  it('denies an order whose quote currency has no rate, and lets one that reduces through', () => {
    const { engine, quote, market } = chain({});
    quote('EURCHF', 0.95);
    expect(market('EURCHF', 'buy', 10)).toEqual({
      code: 'NO_CONVERSION_RATE',
      details: { symbol: 'EURCHF', currency: 'CHF', accountCurrency: 'USD', rate: 'missing' },
    });
    expect(engine.missingConversionRates()).toEqual(['CHF']);
    // A flatten of a position taken before the rate went missing must still get out.
    expect(market('EURCHF', 'sell', 10, 10)).toBeNull();
    quote('USDCHF', 0.9);
    expect(market('EURCHF', 'buy', 10)).toBeNull();
    expect(engine.missingConversionRates()).toEqual([]);
  });

  it('takes a rate from a configured value, and from a pair it may not trade', () => {
    const configured = chain({}, { configured: { CHF: 1.1 } });
    configured.quote('EURCHF', 0.95);
    expect(configured.market('EURCHF', 'buy', 10)).toBeNull();
    const closed = chain({ symbols: { EURJPY: {} } });
    closed.quote('EURJPY', 160);
    expect(closed.market('EURJPY', 'buy', 1)).toMatchObject({ code: 'NO_CONVERSION_RATE' });
    // USDJPY is not tradable here, but its quote still converts JPY.
    closed.quote('USDJPY', 150);
    expect(closed.market('EURJPY', 'buy', 1)).toBeNull();
    expect(closed.market('USDJPY', 'buy', 1)).toMatchObject({ code: 'UNKNOWN_INSTRUMENT' });
  });

  it('fails closed on another symbol held without a rate under a gross limit', () => {
    const { quote, hold, market } = chain({ maxGrossExposure: 1e9 }, { account: 'EUR' });
    quote('EURUSD', 1.1);
    quote('GBPJPY', 190);
    hold('GBPJPY', 5);
    expect(market('EURUSD', 'buy', 1)).toEqual({
      code: 'NO_CONVERSION_RATE',
      details: { symbol: 'GBPJPY', currency: 'JPY', check: 'grossExposure', rate: 'missing' },
    });
  });
});

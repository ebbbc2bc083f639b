// The `risk:` currency keys reach both risk layers: instruments, account currency, configured rates.
import { describe, expect, it } from 'vitest';
import type { TradingAdapters } from '../../src/adapters/index.js';
import { configuredSymbols, createRiskWiring } from '../../src/cli/risk-wiring.js';
import { formatRisk } from '../../src/cli/status-command.js';
import { ManualClock } from '../../src/core/clock.js';
import { withVenueLimits } from '../../src/cli/run-options.js';
import { validateConfig } from '../../src/config/schema.js';
import type { Signal } from '../../src/core/types.js';
import { openKillSwitch } from './engine-fixtures.js';

const buy = (symbol: string, quantity: number): Signal => ({
  symbol,
  side: 'buy',
  quantity,
  type: 'market',
  price: undefined,
});

describe('risk wiring in an account currency', () => {
  it('values gross exposure with configured contract sizes and rates, in the account currency', async () => {
    const config = validateConfig({
      risk: {
        accountCurrency: 'EUR',
        instruments: { GOLD: { base: 'XAU', quote: 'USD', contractSize: 100 } },
        conversionRates: { USD: 0.5 },
        preTrade: { maxGrossExposure: 150_000 },
      },
    });
    const { killSwitch } = await openKillSwitch();
    const risk = createRiskWiring(config.risk, killSwitch, 'engine-a');
    const chain = risk.preTradeRisk!;
    chain.observeTick({ symbol: 'GOLD', bid: 2000, ask: 2000, time: 0 });
    // 1 lot = 100 oz × 2000 USD × 0.5 EUR/USD = 100,000 EUR; 2 lots = 200,000 EUR.
    expect(chain.check(buy('GOLD', 1), 0, 0)).toBeNull();
    expect(chain.check(buy('GOLD', 2), 0, 0)).toMatchObject({
      code: 'MAX_GROSS_EXPOSURE_EXCEEDED',
      details: { actual: 200_000 },
    });
    expect(risk.riskSnapshot?.()).toMatchObject({ accountCurrency: 'EUR' });
    risk.stop();
  });

  it("takes a ccxt venue's markets as instruments, a configured entry winning", () => {
    const config = validateConfig({
      risk: { instruments: { 'ETH/USDT:USDT': { base: 'ETH', quote: 'USDT', contractSize: 0.1 } } },
    });
    const adapters = {
      venueSymbolLimits: undefined,
      venueInstruments: {
        'BTC/USDT:USDT': { base: 'BTC', quote: 'USDT', contractSize: 0.001 },
        'ETH/USDT:USDT': { base: 'ETH', quote: 'USDT', contractSize: 0.01 },
      },
    } as unknown as TradingAdapters;
    expect(withVenueLimits(config, adapters).instruments).toEqual({
      'BTC/USDT:USDT': { base: 'BTC', quote: 'USDT', contractSize: 0.001 },
      'ETH/USDT:USDT': { base: 'ETH', quote: 'USDT', contractSize: 0.1 },
    });
  });

  it('names a currency without a rate in the snapshot and status from the start, then a stale one', async () => {
    const config = validateConfig({
      feed: { synthetic: { symbols: ['EURUSD', 'EURJPY'] } },
      risk: { conversionRateMaxAgeMs: 1_000 },
    });
    const { killSwitch } = await openKillSwitch();
    const clock = new ManualClock(0);
    const risk = createRiskWiring(config.risk, killSwitch, 'e', clock, configuredSymbols(config));
    // No tick, no order yet: JPY has no rate (EURJPY alone is not one).
    expect(risk.riskSnapshot?.().missingConversionRates).toEqual(['JPY']);
    expect(formatRisk(risk.riskSnapshot!()).join('\n')).toContain('NO CONVERSION RATE for JPY');
    for (const [symbol, mid] of [
      ['EURUSD', 1.1],
      ['EURJPY', 165],
    ] as const) {
      risk.preTradeRisk!.observeTick({ symbol, bid: mid, ask: mid, time: 0 });
      risk.monitor!.observeTick({ symbol, bid: mid, ask: mid, time: 0 });
    }
    // The cross EURJPY → EURUSD converts JPY; then EURJPY goes silent.
    expect(risk.riskSnapshot?.().missingConversionRates).toEqual([]);
    expect(risk.preTradeRisk!.check(buy('EURJPY', 1), 0, 0)).toBeNull();
    for (let step = 0; step < 12; step++) {
      clock.advance(100);
      risk.monitor!.evaluate();
    }
    const stale = risk.riskSnapshot!();
    expect(stale.staleConversionRates).toEqual([
      { currency: 'JPY', lastRate: expect.closeTo(1.1 / 165, 12) as number, ageMs: 1_200 },
    ]);
    expect(formatRisk(stale).join('\n')).toContain('STALE CONVERSION RATE for JPY (1.2 s old)');
    expect(risk.preTradeRisk!.check(buy('EURJPY', 1), 0, 0)).toMatchObject({
      code: 'NO_CONVERSION_RATE',
      details: { rate: 'stale', ageMs: 1_200 },
    });
    risk.stop();
  });
});

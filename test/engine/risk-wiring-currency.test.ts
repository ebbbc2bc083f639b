// The `risk:` currency keys reach both risk layers: instruments, account currency, configured rates.
import { describe, expect, it } from 'vitest';
import type { TradingAdapters } from '../../src/adapters/index.js';
import { createRiskWiring } from '../../src/cli/risk-wiring.js';
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
});

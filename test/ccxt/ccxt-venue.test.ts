import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { functions } from 'ccxt';
import {
  CcxtVenue,
  preTradeSymbolLimits,
  stepFromPrecision,
} from '../../src/adapters/ccxt/ccxt-venue.js';
import { supportedVenues } from '../../src/adapters/ccxt/venue-catalog.js';
import { isLivegateError } from '../../src/core/errors.js';
import { validatePreTradeLimits } from '../../src/risk/pre-trade/pre-trade-limits.js';
import { FakeVenueServer } from '../support/fake-venue-server.js';
import { testVenue } from './ccxt-test-venue.js';

describe('CcxtVenue', () => {
  let server: FakeVenueServer;
  beforeEach(async () => {
    server = await FakeVenueServer.start();
  });
  afterEach(async () => {
    await server.close();
  });

  it('maps Kraken pair metadata to lot size, tick size, minimum quantity and minimum notional', async () => {
    const venue = testVenue(server, { symbols: ['BTC/USD', 'ETH/USD'] });
    await venue.load();
    expect(venue.instrumentLimits('BTC/USD')).toEqual({
      lotSize: 1e-8,
      tickSize: 0.1,
      minQuantity: 0.0001,
      minNotional: 0.5,
    });
    expect(venue.instrumentLimits('ETH/USD')).toMatchObject({ tickSize: 0.01, minQuantity: 0.002 });
  });

  it('gives pre-trade limits the pre-trade schema accepts', async () => {
    const venue = testVenue(server, { symbols: ['BTC/USD', 'ETH/USD'] });
    await venue.load();
    const symbols = preTradeSymbolLimits(venue);
    expect(symbols['BTC/USD']).toEqual({
      lotSize: 1e-8,
      tickSize: 0.1,
      minQuantity: 0.0001,
      minOrderNotional: 0.5,
    });
    expect(validatePreTradeLimits({ symbols }).symbols).toEqual(symbols);
  });

  it('reads both precision modes: tick sizes as they are, decimal places as steps', () => {
    expect(stepFromPrecision(0.05, functions.TICK_SIZE)).toBe(0.05);
    expect(stepFromPrecision(3, functions.DECIMAL_PLACES)).toBe(0.001);
    expect(stepFromPrecision(0, functions.DECIMAL_PLACES)).toBe(1);
    expect(stepFromPrecision(4, functions.SIGNIFICANT_DIGITS)).toBeUndefined();
  });

  it('refuses symbols the venue does not list with ERR_CONFIG_INVALID', async () => {
    const venue = testVenue(server, { symbols: ['BTC/USD', 'DOGE/JPY'] });
    const failure = await venue.load().catch((error: unknown) => error);
    expect(isLivegateError(failure, 'ERR_CONFIG_INVALID')).toBe(true);
    expect((failure as Error).message).toContain('DOGE/JPY');
  });

  it('lists every problem with its options at once', () => {
    const build = (): CcxtVenue =>
      new CcxtVenue({
        venue: 'no-such-venue',
        sandbox: 'yes' as unknown as boolean,
        symbols: [],
        timeoutMs: 0,
      });
    expect(build).toThrow(/venue:[\s\S]*sandbox:[\s\S]*symbols:[\s\S]*timeoutMs:/);
  });

  it('refuses sandbox mode for a venue ccxt knows no test environment for', () => {
    const build = (): CcxtVenue =>
      new CcxtVenue({ venue: 'kraken', sandbox: true, symbols: ['BTC/USD'], timeoutMs: 1000 });
    expect(build).toThrow(/no sandbox/);
  });
});

describe('supportedVenues', () => {
  it("reads dead-man, sandbox and order types from ccxt's own flags", () => {
    const venues = supportedVenues();
    const kraken = venues.find((venue) => venue.id === 'kraken');
    expect(kraken).toMatchObject({
      name: 'Kraken',
      deadMan: true,
      sandbox: false,
      orderTypes: ['market', 'limit'],
      brokerReady: true,
    });
    expect(venues.find((venue) => venue.id === 'bybit')).toMatchObject({
      deadMan: true,
      sandbox: true,
    });
    expect(venues.filter((venue) => venue.deadMan).length).toBeGreaterThan(3);
  });
});

// Shared wiring for the ccxt tests: a CcxtVenue pointed at the local fake Kraken.
import { CcxtVenue } from '../../src/adapters/ccxt/ccxt-venue.js';
import type { FakeVenueServer } from '../support/fake-venue-server.js';

/** Fake credentials: Kraken's secret is base64, which ccxt decodes to sign. */
export const FAKE_CREDENTIALS = {
  apiKey: 'test-key',
  secret: Buffer.from('not-a-real-secret').toString('base64'),
};

export function testVenue(
  server: FakeVenueServer,
  overrides: {
    symbols?: string[];
    timeoutMs?: number;
    credentials?: boolean;
    rateLimit?: number;
  } = {},
): CcxtVenue {
  return new CcxtVenue({
    venue: 'kraken',
    sandbox: false,
    symbols: overrides.symbols ?? ['BTC/USD'],
    ...(overrides.credentials === false ? {} : FAKE_CREDENTIALS),
    urls: { public: server.url, private: server.url },
    timeoutMs: overrides.timeoutMs ?? 2_000,
    rateLimit: overrides.rateLimit ?? 1,
  });
}

/** Polls until `condition` holds, failing with `what` after the deadline. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// What a CcxtBroker compares with the venue: open orders (theirs against ours), and on spot
// markets the base-currency balance moved since start against the engine's positions.

import type { Order as VenueOrder } from 'ccxt';
import type { CcxtVenue } from './ccxt-venue.js';
import type { TrackedOrder } from './ccxt-order-tracker.js';

/** Open at the venue on our symbols, and neither ours by venue id nor by client order id. */
export function unknownOrderDifferences(
  venueOpen: readonly VenueOrder[],
  isOurs: (order: VenueOrder) => boolean,
): string[] {
  return venueOpen
    .filter((order) => !isOurs(order))
    .map(
      (order) =>
        `order ${order.id}${order.clientOrderId ? ` (client id ${order.clientOrderId})` : ''} ${order.side} ${order.amount} ${order.symbol}${order.price ? ` @ ${order.price}` : ''} is open at the venue, unknown here`,
    );
}

export function vanishedOrderDifferences(vanished: readonly TrackedOrder[]): string[] {
  return vanished.map(
    (tracked) =>
      `order ${tracked.order.id} (venue id ${tracked.venueId}) closed at the venue with ${tracked.filled} of ${tracked.order.quantity} filled, not cancelled here`,
  );
}

/**
 * Base currencies whose balance only our symbols move: a currency that is also the quote of a
 * configured symbol (BTC in ETH/BTC and BTC/USD) changes with both, and is left out.
 */
export function comparableBaseCurrencies(venue: CcxtVenue): Map<string, string[]> {
  const quotes = new Set(venue.symbols.map((symbol) => venue.market(symbol).quote));
  const groups = new Map<string, string[]>();
  for (const symbol of venue.symbols) {
    const market = venue.market(symbol);
    if (market.spot !== true || quotes.has(market.base)) continue;
    groups.set(market.base, [...(groups.get(market.base) ?? []), symbol]);
  }
  return groups;
}

/** Total balance (free + used) per currency, 0 where the venue lists none. */
export async function readBalances(
  venue: CcxtVenue,
  currencies: Iterable<string>,
): Promise<Map<string, number>> {
  const balance = (await venue.exchange.fetchBalance()) as unknown as Record<
    string,
    { total?: number } | undefined
  >;
  const totals = new Map<string, number>();
  for (const currency of currencies) totals.set(currency, balance[currency]?.total ?? 0);
  return totals;
}

export interface BalanceCheck {
  readonly groups: ReadonlyMap<string, readonly string[]>;
  /** Balance per currency when the engine's positions were all zero (or were subtracted). */
  readonly baseline: ReadonlyMap<string, number>;
  readonly now: ReadonlyMap<string, number>;
  /** The engine's signed position per symbol, fills delivered during the check included. */
  position(symbol: string): number;
  /** Largest difference that is rounding, per symbol group (half the smallest lot). */
  tolerance(symbols: readonly string[]): number;
}

export function balanceDifferences(check: BalanceCheck): string[] {
  const differences: string[] = [];
  for (const [currency, symbols] of check.groups) {
    const moved = (check.now.get(currency) ?? 0) - (check.baseline.get(currency) ?? 0);
    const expected = symbols.reduce((sum, symbol) => sum + check.position(symbol), 0);
    if (Math.abs(moved - expected) > check.tolerance(symbols)) {
      differences.push(
        `${currency} balance moved ${round(moved)} since start, positions here sum to ${round(expected)} (${symbols.join(', ')})`,
      );
    }
  }
  return differences;
}

function round(value: number): number {
  return Number(value.toPrecision(10));
}

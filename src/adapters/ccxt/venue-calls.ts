// Venue calls whose shape differs between venues: some need a symbol where others take none.

import { ArgumentsRequired, type Exchange } from 'ccxt';

/** True when ccxt's feature table says `method` needs a symbol on spot markets (Binance does). */
export function symbolRequired(exchange: Exchange, method: string): boolean {
  const spot = exchange.features.spot as Record<string, unknown> | undefined;
  const entry = spot?.[method] as { symbolRequired?: unknown } | undefined;
  return entry?.symbolRequired === true;
}

/** Calls once without a symbol where the venue allows it, else once per symbol, one at a time. */
export async function acrossSymbols<T>(
  exchange: Exchange,
  method: string,
  symbols: readonly string[],
  call: (symbol: string | undefined) => Promise<T[]>,
): Promise<T[]> {
  if (!symbolRequired(exchange, method)) return call(undefined);
  const results: T[] = [];
  for (const symbol of symbols) results.push(...(await call(symbol)));
  return results;
}

/** The venue's cancel-all: account-wide where it takes no symbol, else per configured symbol. */
export async function cancelAllAtVenue(
  exchange: Exchange,
  symbols: readonly string[],
): Promise<void> {
  try {
    await exchange.cancelAllOrders();
  } catch (error) {
    // Some venues cancel per symbol only (ArgumentsRequired): do each configured symbol.
    if (!(error instanceof ArgumentsRequired)) throw error;
    for (const symbol of symbols) await exchange.cancelAllOrders(symbol);
  }
}

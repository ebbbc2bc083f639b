// Realized P&L and fees kept per currency, valued in the account currency at the current rates: a
// JPY profit is JPY held, so its account-currency value moves with USDJPY until it is converted.

import type { ConversionRates, CurrencyRate } from '../conversion-rates.js';

interface Balance {
  amount: number;
  readonly rate: CurrencyRate;
}

export class CashBalances {
  private readonly balances = new Map<string, Balance>();

  constructor(private readonly rates: ConversionRates) {}

  add(currency: string, amount: number): void {
    let balance = this.balances.get(currency);
    if (balance === undefined) {
      balance = { amount: 0, rate: this.rates.rate(currency) };
      // Listed in status when it has no rate, like a traded symbol's quote currency.
      balance.rate.needed = true;
      this.balances.set(currency, balance);
    }
    balance.amount += amount;
  }

  /**
   * The sum in the account currency of every balance, at its last known rate; currencies holding an
   * amount that no rate was ever known for are pushed to `missing` (left out, and reported).
   */
  valued(missing: string[]): number {
    let total = 0;
    for (const [currency, balance] of this.balances) {
      if (balance.amount === 0) continue;
      const value = balance.rate.lastKnown;
      if (value > 0) total += balance.amount * value;
      else if (!missing.includes(currency)) missing.push(currency);
    }
    return total;
  }

  /** Amounts per currency, before conversion. */
  amounts(): Record<string, number> {
    const amounts: Record<string, number> = {};
    for (const [currency, balance] of this.balances) amounts[currency] = balance.amount;
    return amounts;
  }
}

// CcxtBroker's options: their defaults, and one validation that lists every problem.

import type { Clock } from '../../core/clock.js';
import type { CancelScope } from '../../core/ports.js';
import { LivegateError } from '../../core/errors.js';
import type { CcxtVenue } from './ccxt-venue.js';

export interface CcxtBrokerOptions {
  readonly venue: CcxtVenue;
  /** Pause between fill polls while orders are open or recently closed. Default 1000. */
  readonly fillPollIntervalMs?: number;
  /** The venue cancels all orders this long after the last refresh. Default 60 000; 0 = off. */
  readonly deadManCountdownMs?: number;
  /** heartbeat() refreshes the countdown at most this often. Default 15 000. */
  readonly deadManRefreshEveryMs?: number;
  /** close() cancels our open orders at the venue first. Default true. */
  readonly cancelOrdersOnClose?: boolean;
  /**
   * Whose orders cancelAll() (the kill switch engaging) cancels: `account`, the venue's cancel-all
   * (every order on the account), or `own`, this engine's open orders one by one. Default account.
   */
  readonly cancelScopeOnKill?: CancelScope;
  /** Whose orders close() cancels (cancelOrdersOnClose). Default own. */
  readonly cancelScopeOnShutdown?: CancelScope;
  /** Sends per order, and tries per call. Default 4. */
  readonly maxAttempts?: number;
  /** Backoff between attempts: doubles from the first, capped. Defaults 250 / 5 000. */
  readonly retryInitialDelayMs?: number;
  readonly retryMaxDelayMs?: number;
  /** Consecutive failed calls before `disconnected` is reported. Default 3. */
  readonly failuresBeforeDisconnect?: number;
  /** Mixed into client order ids: give each engine sharing an account its own (its engine id). */
  readonly clientOrderIdNamespace?: string;
  readonly clock?: Clock;
}

export type ResolvedBrokerOptions = Required<Omit<CcxtBrokerOptions, 'venue' | 'clock'>>;

export function resolveOptions(options: CcxtBrokerOptions): ResolvedBrokerOptions {
  const resolved = {
    fillPollIntervalMs: options.fillPollIntervalMs ?? 1000,
    deadManCountdownMs: options.deadManCountdownMs ?? 60_000,
    deadManRefreshEveryMs: options.deadManRefreshEveryMs ?? 15_000,
    cancelOrdersOnClose: options.cancelOrdersOnClose ?? true,
    cancelScopeOnKill: options.cancelScopeOnKill ?? 'account',
    cancelScopeOnShutdown: options.cancelScopeOnShutdown ?? 'own',
    maxAttempts: options.maxAttempts ?? 4,
    retryInitialDelayMs: options.retryInitialDelayMs ?? 250,
    retryMaxDelayMs: options.retryMaxDelayMs ?? 5_000,
    failuresBeforeDisconnect: options.failuresBeforeDisconnect ?? 3,
    clientOrderIdNamespace: options.clientOrderIdNamespace ?? 'livegate',
  };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(resolved)) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0)) {
      problems.push(`${key}: must be a finite number >= 0`);
    }
  }
  for (const key of ['cancelScopeOnKill', 'cancelScopeOnShutdown'] as const) {
    if (resolved[key] !== 'account' && resolved[key] !== 'own') {
      problems.push(`${key}: must be account or own`);
    }
  }
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    problems.push('maxAttempts: must be an integer >= 1');
  }
  if (
    resolved.deadManCountdownMs > 0 &&
    resolved.deadManRefreshEveryMs >= resolved.deadManCountdownMs
  ) {
    problems.push(
      'deadManRefreshEveryMs: must be below deadManCountdownMs, or the countdown runs out between refreshes',
    );
  }
  if (resolved.clientOrderIdNamespace.length === 0)
    problems.push('clientOrderIdNamespace: must not be empty');
  if (problems.length > 0) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `invalid CcxtBroker options:\n${problems.join('\n')}`,
      {
        details: { problems },
      },
    );
  }
  return resolved;
}

// `livegate guard`: a process that never trades and holds desks and the firm to their limits
// (risk.desks, risk.firm) over the sum of every engine's reports; one JSON line per event.

import os from 'node:os';
import type { Command } from 'commander';
import { createSharedKillSwitchStore } from '../adapters/index.js';
import { LivegateError } from '../core/errors.js';
import type { KillSwitchStore } from '../core/ports.js';
import { GLOBAL_SCOPE } from '../core/scopes.js';
import { RiskGuard, type GuardEvent } from '../risk/guard/risk-guard.js';
import { TradingDay } from '../risk/monitor/trading-day.js';
import { GuardLimitsFollower, type GuardLimitsEvent } from '../risk/guard/guard-limits-follower.js';
import { liveLimitsOfRisk } from '../risk/limits/live-limits.js';
import {
  addCommonOptions,
  positiveMs,
  resolveConfig,
  type CommonOptions,
} from './command-options.js';
import { EXIT_OK } from './exit-codes.js';

interface GuardOptions extends CommonOptions {
  readonly interval: string;
  readonly staleAfter?: string;
  readonly by?: string;
}

export function registerGuardCommand(program: Command): void {
  const command = program
    .command('guard')
    .description(
      'hold desks and the firm to risk.desks / risk.firm limits over the sum of every engine (silent ones at their last report): trips desk:<name> or global through the store; never trades; runs until Ctrl-C, one JSON line per event',
    );
  addCommonOptions(command)
    .option('--interval <ms>', 'how often to list the engine reports and sum them', '250')
    .option(
      '--stale-after <ms>',
      'a report unchanged this long marks its engine silent (it still counts; default: 3 x engine.heartbeatIntervalMs)',
    )
    .option('-b, --by <name>', 'who the engage is recorded as (default: risk-guard@host)')
    .action(async (options: GuardOptions) => {
      process.exitCode = await runGuard(options);
    });
}

async function runGuard(options: GuardOptions): Promise<number> {
  const config = await resolveConfig(options);
  const { desks, firm } = config.risk;
  const intervalMs = positiveMs('--interval', options.interval);
  const staleAfterMs = positiveMs(
    '--stale-after',
    options.staleAfter ?? String(3 * config.engine.heartbeatIntervalMs),
  );
  const reports = await createSharedKillSwitchStore(config, GLOBAL_SCOPE);
  const stores = new Map<string, Promise<KillSwitchStore>>([
    [GLOBAL_SCOPE, Promise.resolve(reports)],
  ]);
  const scopeStore = (scope: string): Promise<KillSwitchStore> => {
    let store = stores.get(scope);
    if (store === undefined) {
      store = createSharedKillSwitchStore(config, scope);
      // A store that could not be opened is opened again at the next look.
      store.catch(() => stores.delete(scope));
      stores.set(scope, store);
    }
    return store;
  };
  const print = (event: GuardEvent | GuardLimitsEvent | Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
  };
  const guard = new RiskGuard({
    reports,
    scopeStore,
    desks,
    firm,
    accountCurrency: config.risk.accountCurrency,
    conversionRates: config.risk.conversionRates,
    tradingDay: new TradingDay(config.risk.tradingDay),
    staleAfterMs,
    actor: options.by ?? `risk-guard@${os.hostname()}`,
    onEvent: print,
  });
  // Live limits (`limits set desks.…`): the stored revision before the first look, then at each.
  const limits =
    reports.limits === undefined
      ? undefined
      : new GuardLimitsFollower({
          store: reports.limits,
          configLimits: liveLimitsOfRisk(config.risk),
          apply: (next) => guard.applyLimits(next.desks, next.firm),
          onEvent: print,
        });
  await limits?.poll();
  if (guard.scopes.length === 0) {
    await reports.close();
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      'livegate guard has nothing to guard: set limits under risk.desks.<name> or risk.firm (docs/risk.md, "Desk and firm limits"), or with livegate limits set desks.<name>.<field>=…',
    );
  }
  process.stderr.write(
    `livegate guard: ${reports.name}, scopes ${guard.scopes.join(', ')}, every ${intervalMs} ms, silent after ${staleAfterMs} ms\n`,
  );
  print({ type: 'guard-started', scopes: guard.scopes, intervalMs, staleAfterMs });
  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopping) {
      await limits?.poll();
      await guard.check();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  } finally {
    const opened = await Promise.allSettled(stores.values());
    for (const store of opened) if (store.status === 'fulfilled') await store.value.close();
  }
  return EXIT_OK;
}

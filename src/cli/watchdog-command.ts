// `livegate watchdog`: a separate process that engages a scope when an engine under it goes silent.

import os from 'node:os';
import type { Command } from 'commander';
import { createSharedKillSwitchStore } from '../adapters/index.js';
import { LivegateError } from '../core/errors.js';
import { GLOBAL_SCOPE, isScopeName } from '../core/scopes.js';
import { HeartbeatWatchdog, type WatchdogEvent } from '../killswitch/heartbeat-watchdog.js';
import {
  addCommonOptions,
  positiveMs,
  resolveConfig,
  type CommonOptions,
} from './command-options.js';
import { EXIT_OK } from './exit-codes.js';
import { runVenueStepOnDemand } from './venue-step-on-demand.js';

interface WatchdogOptions extends CommonOptions {
  readonly scope: string;
  readonly staleAfter?: string;
  readonly interval: string;
  readonly by?: string;
  /** false with --no-venues. */
  readonly venues: boolean;
}

export function registerWatchdogCommand(program: Command): void {
  const command = program
    .command('watchdog')
    .description(
      'engage a scope when an engine under it stops heartbeating (hung or killed); runs until Ctrl-C, one JSON line per event',
    );
  addCommonOptions(command)
    .option('--scope <scope>', 'global | desk:<name> | engine:<id>', GLOBAL_SCOPE)
    .option(
      '--stale-after <ms>',
      'silence that counts as dead (default: 3 x engine.heartbeatIntervalMs)',
    )
    .option('--interval <ms>', 'how often to look at the heartbeats', '250')
    .option('-b, --by <name>', 'who the engage is recorded as (default: watchdog@host)')
    .option(
      '--no-venues',
      'engage the store only (by default an engage also sends each configured venue its cancel-all and reads open orders back: a hung engine cannot cancel its own)',
    )
    .action(async (options: WatchdogOptions) => {
      process.exitCode = await runWatchdog(options);
    });
}

async function runWatchdog(options: WatchdogOptions): Promise<number> {
  const config = await resolveConfig(options);
  if (!isScopeName(options.scope)) {
    throw new LivegateError(
      'ERR_USAGE',
      `--scope must be global, desk:<name> or engine:<id>, got "${options.scope}"`,
    );
  }
  const staleAfterMs = positiveMs(
    '--stale-after',
    options.staleAfter ?? String(3 * config.engine.heartbeatIntervalMs),
  );
  const intervalMs = positiveMs('--interval', options.interval);
  const store = await createSharedKillSwitchStore(config, options.scope);
  const printLine = (line: object): void => {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
  };
  // A hung engine cannot cancel its resting orders: an engage goes to the market itself, as
  // `livegate kill` does. Venue steps run beside the watching, and are awaited before exit.
  const venueSteps = new Set<Promise<void>>();
  const print = (event: WatchdogEvent): void => {
    printLine(event);
    if (event.type !== 'scope-engaged' || !event.changed || config.broker.kind === 'paper') return;
    const step = runVenueStepOnDemand(config, {
      skip: !options.venues,
      killWrittenAt: Date.now(),
      timeoutMs: config.killSwitch.confirmTimeoutMs,
      scope: options.scope,
    })
      .then((outcome) => printLine({ type: 'venues', ...outcome }))
      .finally(() => venueSteps.delete(step));
    venueSteps.add(step);
  };
  const watchdog = new HeartbeatWatchdog({
    store,
    scope: options.scope,
    staleAfterMs,
    actor: options.by ?? `watchdog@${os.hostname()}`,
    onEvent: print,
  });
  process.stderr.write(
    `livegate watchdog: ${store.name}, scope ${options.scope}, stale after ${staleAfterMs} ms\n`,
  );
  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopping) {
      await watchdog.check();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  } finally {
    await Promise.allSettled(venueSteps);
    await store.close();
  }
  return EXIT_OK;
}

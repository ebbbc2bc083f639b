// `livegate run`: the engine on a configured feed, strategy and broker, until the feed ends or a signal stops it.

import { runIdOf } from '../core/run-order-ids.js';
import path from 'node:path';
import type { Command } from 'commander';
import type { EventSink } from '../core/ports.js';
import type { LivegateConfig } from '../config/schema.js';
import { createKillSwitchStore, createTradingAdapters } from '../adapters/index.js';
import { LiveEngine } from '../engine/live-engine.js';
import { scopesOfEngine } from '../core/scopes.js';
import { isLivegateError, LivegateError } from '../core/errors.js';
import { failClosedTrigger } from '../core/kill-switch-record.js';
import { claimEngineId } from '../killswitch/engine-id-claim.js';
import { ScopedKillSwitch } from '../killswitch/scoped-kill-switch.js';
import {
  createLogger,
  flushLogger,
  reopenLogFileOnHangup,
  type Logger,
} from '../observability/logger.js';
import { BUILTIN_STRATEGIES, loadStrategy } from '../strategies/load-strategy.js';
import { addCommonOptions, resolveConfig } from './command-options.js';
import { describeError, EXIT_FAILURE, exitCodeFor } from './exit-codes.js';
import { readJournalOnStart } from './journal-risk-state.js';
import { createEngineJournal, journalDirectory } from './journal-wiring.js';
import { engageOnEngineIdConflict } from './engine-id-conflict.js';
import { engageOnKillSignal } from './kill-signal.js';
import { registerLocalEngine, storeIdentityOf } from '../killswitch/local-engine-registry.js';
import { logEngineEvents } from './log-engine-events.js';
import { configuredSymbols, createRiskWiring } from './risk-wiring.js';
import { overridesFrom, primaryScopeOf, withVenueLimits, type RunOptions } from './run-options.js';
import { startStatusLine } from './status-line.js';
import { checkBeforeRun } from './run-preflight.js';
import { formatRunSummary, killSwitchDetail, runOutcome } from './run-outcome.js';
import { followLiveLimits } from './limits-wiring.js';

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .description(
      'run the engine (dry-run on a paper broker by default) until the feed ends or Ctrl-C',
    );
  addCommonOptions(command)
    .option(
      '--feed <feed>',
      'synthetic | csv:PATH (websocket and ccxt feeds: feed.kind in the config)',
    )
    .option('--ticks <n>', 'synthetic feed: number of ticks (0 = endless)')
    .option('--rate <n>', 'synthetic feed: ticks per second (0 = as fast as possible)')
    .option('--strict', 'csv feed: stop the run at the first bad line instead of skipping it')
    .option('--strategy <spec>', `${BUILTIN_STRATEGIES.join(' | ')} | path to a module`)
    .option(
      '--engine-id <id>',
      'engine id in heartbeats, confirmations and the journal (default: stable, from the host, config file and state dir)',
    )
    .option(
      '--desk <name>',
      'the desk this engine belongs to: it also obeys the desk:<name> scope and checks its orders against risk.desks.<name>',
    )
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent')
    .option('--no-status-line', 'never draw the live status line, even in a terminal')
    .option(
      '--http <host:port>',
      'serve the control API, /metrics and the console here (port 0 = any free port)',
    )
    .option('--no-http', 'do not start the control API and console')
    .option('--json', 'print the run summary as JSON on stdout when the run ends')
    .action(async (options: RunOptions) => {
      let code: number;
      try {
        code = await runEngine(options);
      } catch (error) {
        process.stderr.write(`${describeError(error)}\n`);
        code = exitCodeFor(error);
      }
      // A stopped engine exits even if a strategy or adapter leaked a timer or a socket.
      process.exit(code);
    });
}

async function runEngine(options: RunOptions): Promise<number> {
  const config = await resolveConfig(options, overridesFrom(options));
  await checkBeforeRun(config, options);
  const interactive = options.statusLine !== false && process.stdout.isTTY === true;
  const logFile =
    config.log.file === null
      ? interactive
        ? path.join(config.stateDir, 'logs', 'livegate.log')
        : undefined
      : path.resolve(config.log.file);
  const logger = createLogger({
    level: config.log.level,
    destination: logFile ?? 'stdout',
    engineId: config.engine.id,
  });
  if (logFile !== undefined) process.stderr.write(`livegate: JSON logs go to ${logFile}\n`);
  // Only for a configured log.file (a service under logrotate): in a terminal, SIGHUP still means
  // the terminal went away.
  const stopReopening = config.log.file === null ? () => undefined : reopenLogFileOnHangup(logger);
  try {
    return await runWithLogger(config, logger, interactive, options.json === true);
  } finally {
    stopReopening();
    await flushLogger(logger);
  }
}

async function runWithLogger(
  config: LivegateConfig,
  logger: Logger,
  interactive: boolean,
  json: boolean,
): Promise<number> {
  const engineId = config.engine.id;
  requireConfiguredDesk(config);
  const runId = runIdOf(engineId, Date.now());
  const scopes = scopesOfEngine(engineId, config.engine.desk);
  const stores = await Promise.all(
    scopes.map(async (scope) => ({ scope, store: await createKillSwitchStore(config, scope) })),
  );
  const closeStores = () => Promise.all(stores.map(({ store }) => store.close()));
  const killSwitch = await ScopedKillSwitch.open(stores, {
    actor: engineId,
    primaryScope: primaryScopeOf(config, engineId),
    startEngaged: config.killSwitch.startEngaged,
    // Only the embedded stores create state on first start; a shared server's state is created
    // by `livegate init` (or a reset), so an empty or wiped server never reads as SAFE.
    createIfMissing: config.killSwitch.store === 'file' || config.killSwitch.store === 'memory',
    contact: {
      failClosedAfterMs: config.killSwitch.failClosedAfterMs,
      leaseMs: config.killSwitch.leaseMs,
      pollIntervalMs: config.killSwitch.pollIntervalMs,
    },
    onListenerError: (error) =>
      logger.error({ err: error }, 'a kill-switch change listener threw (the change went ahead)'),
    onStoreNotAnswering: (error, retryForMs) => {
      logger.warn(
        { err: error, retryForMs },
        'kill-switch store not answering at start: ENGAGED (not trading) while it is read again',
      );
      process.stderr.write(
        `livegate: kill-switch store not answering (${error.message}): reading it again for up to ${retryForMs} ms before failing closed\n`,
      );
    },
  });
  await claimEngineIdOrClose(killSwitch, config, logger, closeStores);
  // Before anything trades: the day's losses, positions and peak from the last run of this id. A
  // corrupt line stops the start (ERR_JOURNAL_CORRUPT) rather than forget them.
  const journalState = config.journal.enabled
    ? await readJournalOnStart(journalDirectory(config.stateDir, engineId)).catch(
        async (error: unknown) => {
          killSwitch.close();
          await closeStores();
          throw error;
        },
      )
    : null;
  // Before the venue connects: an engine still connecting already obeys its scopes, and a kill
  // on this host must count it (an exited process's entry is ignored).
  const unregister = await registerLocalEngine({
    engineId,
    store: storeIdentityOf(config),
    scopes: killSwitch.scopeNames(),
  }).catch((error: unknown) => {
    logger.warn(
      { err: error },
      'engine not registered on this host (a kill after a store loss may not name it if it hangs)',
    );
    return () => Promise.resolve();
  });
  const failure = killSwitch.failClosedReason;
  if (failure !== null) {
    const trigger = failClosedTrigger(failure.code);
    logger.error(
      { err: failure, code: failure.code, trigger },
      `KILL SWITCH FAILED CLOSED (${trigger}): ENGAGED until an operator runs \`livegate reset\``,
    );
    process.stderr.write(`livegate: kill switch FAIL-CLOSED (${trigger}): ${failure.message}\n`);
  }
  const adapters = await createTradingAdapters(config, engineId, {
    onBadLine: (problem) => logger.warn({ ...problem }, 'bad tick line skipped'),
  }).catch((error: unknown) => {
    killSwitch.close();
    void closeStores();
    throw error;
  });
  const { feed, broker } = adapters;
  // Before connect: a FIX venue replays the earlier runs' reports as soon as it logs on.
  if (journalState !== null) broker.recognise?.(journalState.earlier);
  const strategy = await loadStrategy(config.strategy.module, config.strategy.options);
  const sinks: EventSink[] = [];
  const journal = config.journal.enabled
    ? createEngineJournal(config, { engineId, runId, killSwitch, logger })
    : undefined;
  if (journal !== undefined) sinks.push(journal.sink);
  const streaming = config.streams.kafka.brokers.length > 0 || config.streams.nats.url !== null;
  if (streaming) {
    const { createStreamSinks } = await import('../adapters/stream-sinks.js');
    sinks.push(
      ...createStreamSinks(config, runId, (error) =>
        logger.error({ err: error, code: error.code }, 'event stream delivery failed'),
      ),
    );
  }
  // Streams get their flush timeout at shutdown: kill-switch and risk events must reach them.
  const shutdownTimeoutMs = streaming
    ? Math.max(SHUTDOWN_TIMEOUT_MS, config.streams.flushTimeoutMs + 1_000)
    : SHUTDOWN_TIMEOUT_MS;
  const risk = createRiskWiring(
    withVenueLimits(config, adapters),
    killSwitch,
    engineId,
    undefined,
    configuredSymbols(config),
    config.journal.enabled,
    {
      name: config.engine.desk,
      heartbeatIntervalMs: config.engine.heartbeatIntervalMs,
      onProblem: (message) => {
        if (message === null) logger.info('desk view: the engine reports are listed again');
        else
          logger.warn(
            { problem: message },
            'desk view: the engine reports could not be listed (new exposure is denied DESK_VIEW_STALE once the view is risk.deskView.maxAgeMs old)',
          );
      },
    },
  );
  const restored = risk.restore(journalState?.risk ?? null);
  const limits = await followLiveLimits(stores[0]?.store, risk, config, engineId);
  const engine = new LiveEngine({
    killSwitch,
    strategy,
    broker,
    engineId,
    runId,
    sinks,
    preTradeRisk: risk.preTradeRisk,
    tickObservers: risk.tickObservers,
    ...(risk.riskSnapshot === undefined ? {} : { riskSnapshot: risk.riskSnapshot }),
    cancelOpenOrdersOnEngage: config.engine.cancelOpenOrdersOnEngage,
    maxConsecutiveErrors: config.engine.maxConsecutiveErrors,
    heartbeatIntervalMs: config.engine.heartbeatIntervalMs,
    yieldIntervalMs: config.engine.yieldIntervalMs,
    cancelOpenOrdersOnShutdown: config.engine.cancelOpenOrdersOnShutdown,
    onEngineIdConflict: engageOnEngineIdConflict(killSwitch, engineId, logger),
    ...(restored === undefined ? {} : { initialPositions: restored.positions }),
    ...(limits === undefined
      ? {}
      : {
          limitsRevision: () => limits.follower.revision,
          limitsAt: () => limits.follower.at,
          limitsLease: limits.follower,
        }),
  });
  risk.bind(engine);
  journal?.bind(engine);
  logEngineEvents(engine, logger);
  // The restart in the audit trail (journal, log), before the run's first event.
  if (restored !== undefined) engine.emit(restored.event);
  limits?.bind(engine);
  // Metrics, webhook alerts and startControlServer (API + console), before the first tick. Loaded
  // here, not at the top, so `livegate kill` never pays for loading fastify and prom-client.
  const { startControlPlane } = await import('./control-plane-wiring.js');
  const controlPlane = await startControlPlane({
    config,
    engine,
    killSwitch,
    riskSnapshot: risk.riskSnapshot,
    logger,
    eventSinks: sinks,
  }).catch(async (error: unknown) => {
    risk.stop();
    limits?.follower.stop();
    journal?.stop();
    killSwitch.close();
    await settleWithin(SHUTDOWN_TIMEOUT_MS, [
      ...sinks.map((sink) => sink.close()),
      Promise.allSettled([broker.close(), feed.close()]).then(() => adapters.close()),
      strategy.close?.(),
      closeStores(),
    ]);
    throw error;
  });
  const removeSignalHandlers = stopOnSignals(engine, logger);
  const removeKillSignal = engageOnKillSignal(killSwitch, engineId, logger);
  const stopStatusLine = interactive
    ? startStatusLine(
        process.stdout,
        () => engine.summary(),
        engineId,
        () => killSwitchDetail(killSwitch),
      )
    : undefined;
  let exitCode: number;
  try {
    // The first view of the desk just before the first tick, so a fresh engine is not denied as stale.
    await risk.deskView?.start();
    const summary = await engine.run(feed);
    stopStatusLine?.();
    logger.info({ summary }, 'run finished');
    if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else if (interactive)
      process.stdout.write(formatRunSummary(summary, killSwitchDetail(killSwitch)));
    const outcome = runOutcome(killSwitch, engineId);
    if (outcome.line !== undefined) process.stderr.write(`${outcome.line}\n`);
    exitCode = outcome.exitCode;
  } catch (error) {
    stopStatusLine?.();
    logger.error({ err: error }, 'run failed');
    throw error;
  } finally {
    risk.stop();
    limits?.follower.stop();
    journal?.stop();
    killSwitch.close();
    // Handlers stay until everything is closed, so a second signal can still cut a hung close short.
    const closed = await settleWithin(shutdownTimeoutMs, [
      ...sinks.map((sink) => sink.close()),
      Promise.allSettled([broker.close(), feed.close()]).then(() => adapters.close()),
      strategy.close?.(),
      // The API may be writing a kill-switch change: the store closes after the server.
      controlPlane.close().finally(closeStores),
    ]);
    removeSignalHandlers();
    removeKillSignal();
    await unregister();
    if (!closed) {
      logger.error(`shutdown: adapters did not close within ${shutdownTimeoutMs} ms`);
      process.stderr.write(
        `livegate: shutdown did not finish within ${shutdownTimeoutMs} ms (an adapter's close() hung)\n`,
      );
      exitCode = EXIT_FAILURE;
    }
  }
  return exitCode;
}

/** How long the adapters get to close after the engine has stopped. */
const SHUTDOWN_TIMEOUT_MS = 5_000;

/** True if every promise settled in time; a hung close() must not keep the process forever. */
async function settleWithin(milliseconds: number, promises: readonly unknown[]): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), milliseconds);
  });
  const settled = Promise.allSettled(promises).then(() => true as const);
  const result = await Promise.race([settled, timedOut]);
  clearTimeout(timer);
  return result;
}

/** First SIGINT/SIGTERM: graceful stop. Second: exit at once. */
function stopOnSignals(engine: LiveEngine, logger: Logger): () => void {
  let received = 0;
  const handler = (signal: NodeJS.Signals): void => {
    received++;
    if (received === 1) {
      logger.info({ signal }, 'stopping: finishing the current tick, then shutting down');
      engine.stop();
      return;
    }
    logger.warn({ signal }, 'second signal: exiting now');
    process.stderr.write(`\nlivegate: second ${signal}, exiting without a clean shutdown\n`);
    process.exit(EXIT_FAILURE);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * One process per engine id: a confirmed kill counts an id's confirmation for the process behind
 * it. Watching an unjudgeable holder for two heartbeats tells a running one from a dead one.
 */
async function claimEngineIdOrClose(
  killSwitch: ScopedKillSwitch,
  config: LivegateConfig,
  logger: Logger,
  closeStores: () => Promise<unknown>,
): Promise<void> {
  const engineId = config.engine.id;
  try {
    const claim = await claimEngineId(killSwitch.store, engineId, {
      observeMs: 2 * config.engine.heartbeatIntervalMs,
    });
    if (claim.kind === 'replaced-silent') {
      const { host, pid } = claim.previous;
      logger.warn(
        { engineId, previousHost: host, previousPid: pid, silentMs: Math.round(claim.silentMs) },
        `taking over engine id ${engineId} from pid ${pid} on ${host}: its report did not change for ${Math.round(claim.silentMs)} ms`,
      );
    }
  } catch (error) {
    if (!isLivegateError(error, 'ERR_ENGINE_ID_IN_USE')) {
      // The store cannot list reports now: the engine starts fail-closed anyway, and a store
      // that cannot be read cannot confirm anyone's kill either.
      logger.warn(
        { err: error },
        `engine id ${engineId} not checked: the store cannot list engines`,
      );
      return;
    }
    killSwitch.close();
    await closeStores();
    throw error;
  }
}

/**
 * With desks configured (`risk.desks`, `risk.tradingWindows.desks`), a desk that is none of them
 * would run with no desk check or desk window at all; names are exact (as kill-switch scopes are),
 * so `FX` under `risk.desks.fx` is refused.
 */
function requireConfiguredDesk(config: LivegateConfig): void {
  const desk = config.engine.desk;
  const { desks, tradingWindows } = config.risk;
  const configured = [...new Set([...Object.keys(desks), ...Object.keys(tradingWindows.desks)])];
  if (desk === null || desk === undefined || configured.length === 0) return;
  if (Object.hasOwn(desks, desk) || Object.hasOwn(tradingWindows.desks, desk)) return;
  throw new LivegateError(
    'ERR_CONFIG_INVALID',
    `engine desk "${desk}" is not one of risk.desks or risk.tradingWindows.desks (${configured.join(', ')}): it would run with no desk check or desk window (desk names are case-sensitive)`,
  );
}

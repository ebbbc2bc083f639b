// `livegate limits set | show | history`: live risk limits as versioned records beside the kill
// switch. Other `limits` subcommands register on the same group (registerLimitsCommand).

import os from 'node:os';
import type { Command } from 'commander';
import { auditTextProblem, MAX_BY_LENGTH, MAX_REASON_LENGTH } from '../core/audit-text.js';
import { LivegateError } from '../core/errors.js';
import type { KillSwitchStore, LimitsStore } from '../core/ports.js';
import { createSharedKillSwitchStore } from '../adapters/index.js';
import { storeIdentityOf } from '../killswitch/local-engine-registry.js';
import { confirmLimitsRevision } from '../risk/limits/limits-confirmations.js';
import { changeLimits } from '../risk/limits/limits-writer.js';
import { limitsInForce } from '../risk/limits/limits-overrides.js';
import {
  desksAssigned,
  desksOfConfig,
  desksOfReports,
  type NamedDesk,
} from '../risk/limits/desk-names.js';
import {
  liveLimitsOfRisk,
  parseAssignment,
  type LimitsAssignment,
} from '../risk/limits/live-limits.js';
import { addCommonOptions, resolveConfig, type CommonOptions } from './command-options.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { formatHistory, formatLimits, formatSetResult, jsonOf } from './limits-output.js';

interface SetOptions extends CommonOptions {
  readonly reason: string;
  readonly by?: string;
  readonly loosen?: boolean;
  readonly timeout?: string;
  readonly json?: boolean;
}

interface ReadOptions extends CommonOptions {
  readonly json?: boolean;
}

/** The `limits` group; subcommands in other modules add themselves to the Command it returns. */
export function registerLimitsCommand(program: Command): Command {
  const group = program
    .command('limits')
    .description(
      'risk limits changed while engines run: versioned, audited, confirmed by every engine',
    );
  registerSet(group);
  registerShow(group);
  registerHistory(group);
  return group;
}

function registerSet(group: Command): void {
  const command = group
    .command('set')
    .description(
      'change risk.preTrade, risk.monitor.rules, risk.desks and risk.firm limits (KEY=VALUE, e.g. preTrade.defaults.maxQuantity=5, monitor.rules.dailyLoss.limit=500, desks.fx.dailyLoss=1500, firm.grossExposure=2000000) and wait until every running engine enforces the new revision (livegate guard follows it at its next look)',
    )
    .argument(
      '<assignments...>',
      "KEY=VALUE under preTrade, monitor.rules, desks.<desk> (dailyLoss, drawdown, grossExposure, maxPosition, symbols.<S>.maxPosition, orderRate.limit|windowMs) or firm, an override each engine (and guard) lays over its own config; VALUE a number, Infinity (no limit), JSON, or empty to remove the override (back to each engine's config; an empty monitor.rules.<rule> turns the rule off)",
    );
  addCommonOptions(command)
    .requiredOption('-r, --reason <text>', 'why (required; recorded with the revision)')
    .option('-b, --by <name>', 'who (default: user@host)')
    .option(
      '--loosen',
      'allow a change that loosens a limit (recorded in the revision); without it only tightening passes',
    )
    .option(
      '--timeout <ms>',
      'how long to wait for engines to confirm (default: killSwitch.confirmTimeoutMs)',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 every running engine enforces the new revision (or nothing changed), 1 some did not within --timeout (named; the revision stands), 2 an unknown key, a bad value, or a loosening without --loosen.',
    )
    .action(async (assignments: string[], options: SetOptions) => {
      process.exitCode = await runSet(assignments, options);
    });
}

function registerShow(group: Command): void {
  addCommonOptions(group.command('show').description('the limits revision in force and its values'))
    .option('--json', 'print as JSON')
    .action(async (options: ReadOptions) => {
      const config = await resolveConfig(options);
      await withLimits(config, async (_store, limits) => {
        const latest = await limits.latest();
        const configLimits = liveLimitsOfRisk(config.risk);
        process.stdout.write(
          options.json === true
            ? jsonOf({
                revision: latest?.revision ?? 0,
                record: latest,
                limits: limitsInForce(latest, configLimits),
              })
            : formatLimits(latest, configLimits),
        );
      });
    });
}

function registerHistory(group: Command): void {
  addCommonOptions(
    group.command('history').description('every limits revision: who, why, what changed'),
  )
    .option('--json', 'print as JSON')
    .action(async (options: ReadOptions) => {
      await withLimits(await resolveConfig(options), async (_store, limits) => {
        const history = await limits.history();
        process.stdout.write(options.json === true ? jsonOf(history) : formatHistory(history));
      });
    });
}

async function runSet(texts: readonly string[], options: SetOptions): Promise<number> {
  const config = await resolveConfig(options);
  const by = options.by ?? `${os.userInfo().username}@${os.hostname()}`;
  requireText('--reason', options.reason, MAX_REASON_LENGTH);
  requireText('--by', by, MAX_BY_LENGTH);
  const timeoutMs = parseTimeout(options.timeout, config.killSwitch.confirmTimeoutMs);
  const assignments = texts.map(parseAssignment);
  return withLimits(config, async (store, limits) => {
    const reportedDesks = desksOfReports(await store.listEngineReports());
    const result = await changeLimits(limits, {
      assignments,
      namedDesks: [...desksOfConfig(config.risk), ...reportedDesks],
      reason: options.reason.trim(),
      by: by.trim(),
      mayLoosen: options.loosen === true,
      configLimits: liveLimitsOfRisk(config.risk),
      host: os.hostname(),
      pid: process.pid,
      origin: { channel: 'cli' },
    });
    const confirmations =
      result.changed && result.record !== null
        ? await confirmLimitsRevision(
            store,
            result.record.revision,
            timeoutMs,
            storeIdentityOf(config),
            result.record.at,
          )
        : undefined;
    process.stdout.write(
      options.json === true
        ? jsonOf({ ...result, confirmations })
        : formatSetResult(result, confirmations),
    );
    noteUnreportedDesks(assignments, reportedDesks);
    if (confirmations === undefined || confirmations.missing.length === 0) return EXIT_OK;
    const names = confirmations.missing.map((m) => `${m.engineId} (${m.why})`).join('; ');
    process.stderr.write(
      `livegate: ERR_LIMITS_UNCONFIRMED: limits revision ${confirmations.revision} not confirmed within ${timeoutMs} ms by ${names}\n`,
    );
    return EXIT_FAILURE;
  });
}

/** A hint, not a refusal: a desk may be limited before its engines start. */
function noteUnreportedDesks(
  assignments: readonly LimitsAssignment[],
  reported: readonly NamedDesk[],
): void {
  for (const desk of desksAssigned(assignments)) {
    if (reported.some((named) => named.desk === desk)) continue;
    process.stderr.write(
      `livegate: note: no engine on the store reports desk "${desk}": desks.${desk} limits nothing until an engine runs with --desk ${desk}\n`,
    );
  }
}

async function withLimits<T>(
  config: Awaited<ReturnType<typeof resolveConfig>>,
  use: (store: KillSwitchStore, limits: LimitsStore) => Promise<T>,
): Promise<T> {
  const store = await createSharedKillSwitchStore(config);
  try {
    if (store.limits === undefined) {
      throw new LivegateError('ERR_USAGE', `the ${store.name} store keeps no live limits`);
    }
    return await use(store, store.limits);
  } finally {
    await store.close();
  }
}

function requireText(flag: string, text: string, maxLength: number): void {
  const problem = auditTextProblem(text, maxLength);
  if (problem !== null) throw new LivegateError('ERR_USAGE', `${flag} ${problem}`);
}

function parseTimeout(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new LivegateError(
      'ERR_USAGE',
      `--timeout must be a number of milliseconds >= 0, got "${text}"`,
    );
  }
  return value;
}

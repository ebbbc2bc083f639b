// `livegate kill | reduce | reset`: make the change durable, then wait for every running engine to confirm it.

import os from 'node:os';
import type { Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { LivegateError } from '../core/errors.js';
import type { KillSwitchRecord } from '../core/kill-switch-record.js';
import type { KillSwitchUpdateResult } from '../core/ports.js';
import { createSharedKillSwitchStore } from '../adapters/index.js';
import { awaitConfirmations, type ConfirmationResult } from '../killswitch/confirmations.js';
import {
  engageDecision,
  reduceDecision,
  resetDecision,
  type Decision,
} from '../killswitch/transitions.js';
import { GLOBAL_SCOPE, isScopeName } from '../core/scopes.js';
import { addCommonOptions, resolveConfig, type CommonOptions } from './command-options.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { killWithoutStore } from './signal-local-engines.js';

type ChangeKind = 'kill' | 'reduce' | 'reset';

interface ChangeOptions extends CommonOptions {
  readonly reason: string;
  readonly by?: string;
  readonly timeout?: string;
  readonly json?: boolean;
  readonly scope?: string;
}

const DESCRIPTIONS: Record<ChangeKind, string> = {
  kill: 'engage the kill switch (ENGAGED: nothing new passes) and wait for running engines to confirm; if the store cannot be written, signal the engines on this host',
  reduce: 'put the kill switch in REDUCING (only orders that shrink a position pass)',
  reset: 'release the kill switch back to SAFE (needs an operator name and a reason)',
};

export function registerChangeCommand(program: Command, kind: ChangeKind): void {
  const command = program.command(kind).description(DESCRIPTIONS[kind]);
  addCommonOptions(command)
    .requiredOption('-r, --reason <text>', 'why (recorded in the audit trail)')
    .option(
      '--timeout <ms>',
      'how long to wait for running engines to confirm (default: killSwitch.confirmTimeoutMs)',
    )
    .option('--json', 'print the result as JSON')
    .option(
      '--scope <scope>',
      'global (default) | desk:<name> | engine:<id>: the engines under that scope obey',
      GLOBAL_SCOPE,
    );
  if (kind === 'reset') command.requiredOption('-b, --by <name>', 'operator name (required)');
  else command.option('-b, --by <name>', 'operator name (default: user@host)');
  command.action(async (options: ChangeOptions) => {
    process.exitCode = await runChange(kind, options);
  });
}

async function runChange(kind: ChangeKind, options: ChangeOptions): Promise<number> {
  const config = resolveConfig(options);
  const by = options.by ?? `${os.userInfo().username}@${os.hostname()}`;
  const timeoutMs = parseTimeout(options.timeout, config.killSwitch.confirmTimeoutMs);
  const decision = decisionFor(kind, options.reason, by);
  const scope = options.scope ?? GLOBAL_SCOPE;
  if (!isScopeName(scope)) {
    throw new LivegateError(
      'ERR_USAGE',
      `--scope must be global, desk:<name> or engine:<id>, got "${scope}"`,
    );
  }
  const store = await createSharedKillSwitchStore(config, scope);
  try {
    const issuedAt = systemClock.now();
    let result: KillSwitchUpdateResult;
    try {
      result = await store.update(decision);
    } catch (error) {
      // Not durable (disk full, store down): a kill still reaches this host's engines by signal.
      if (kind === 'kill')
        return await killWithoutStore(store, scope, error, options.json === true);
      throw error;
    }
    const acknowledgedAt = systemClock.now();
    const confirmations = await awaitConfirmations(store, result.record.revision, {
      timeoutMs,
      staleAfterMs: config.killSwitch.engineStaleAfterMs,
      issuedAt,
      acknowledgedAt,
      scope,
    });
    const ok = confirmations.missing.length === 0;
    const output = {
      ok,
      path: 'store',
      scope,
      changed: result.changed,
      record: result.record,
      issuedAt: new Date(issuedAt).toISOString(),
      durableAt: new Date(acknowledgedAt).toISOString(),
      durableAfterMs: acknowledgedAt - issuedAt,
      ...(result.repairedFrom === undefined ? {} : { repairedFrom: result.repairedFrom }),
      confirmations,
    };
    if (options.json === true) process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    else
      printHuman(
        scope,
        result.record,
        result.changed,
        result.repairedFrom,
        confirmations,
        acknowledgedAt - issuedAt,
      );
    if (!ok) {
      const names = confirmations.missing.map((engine) => `${engine.engineId} (pid ${engine.pid})`);
      process.stderr.write(
        `livegate: ERR_CONFIRM_TIMEOUT: not confirmed within ${timeoutMs} ms by: ${names.join(', ')}\n`,
      );
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  } finally {
    await store.close();
  }
}

function decisionFor(kind: ChangeKind, reason: string, by: string): Decision {
  switch (kind) {
    case 'kill':
      return engageDecision(reason, by, 'manual');
    case 'reduce':
      return reduceDecision(reason, by, 'manual');
    case 'reset':
      return resetDecision(reason, by);
  }
}

function parseTimeout(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new LivegateError(
      'ERR_USAGE',
      `--timeout must be a number of milliseconds >= 0, got "${text}"`,
    );
  }
  return value;
}

function printHuman(
  scope: string,
  record: KillSwitchRecord,
  changed: boolean,
  repairedFrom: string | undefined,
  confirmations: ConfirmationResult,
  durableAfterMs: number,
): void {
  const lines: string[] = [];
  if (repairedFrom !== undefined)
    lines.push(`state was unreadable; kept it aside at ${repairedFrom}`);
  lines.push(
    `${scope === GLOBAL_SCOPE ? '' : `${scope}: `}${record.state} at revision ${record.revision} (${changed ? `durable in ${durableAfterMs.toFixed(1)} ms` : 'already in force, nothing written'})`,
    `  by ${record.by}, trigger ${record.trigger}, at ${record.at}: ${record.reason}`,
  );
  const live = confirmations.confirmed.length + confirmations.missing.length;
  if (live === 0)
    lines.push(
      scope === GLOBAL_SCOPE
        ? 'no running engines on this store'
        : `no running engines under ${scope}`,
    );
  else lines.push(`confirmed by ${confirmations.confirmed.length}/${live} running engines:`);
  for (const engine of confirmations.confirmed) {
    const timing =
      engine.latencyMs < 0
        ? `${engine.sinceIssuedMs.toFixed(2)} ms after the command started, before the write was acknowledged`
        : `${engine.latencyMs.toFixed(2)} ms after the write was acknowledged`;
    lines.push(
      `  ok       ${engine.engineId} pid ${engine.pid} enforcing ${engine.enforcedState} (${timing})`,
    );
  }
  for (const engine of confirmations.missing) {
    lines.push(
      `  MISSING  ${engine.engineId} pid ${engine.pid} still at revision ${engine.observedRevision} (last report ${Math.round(engine.lastReportAgeMs)} ms ago)`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

// `livegate init`: create the kill-switch state of a store that has none, as an audited act.
// Engines on a shared store never create it themselves, so an empty or wiped server fails closed.

import os from 'node:os';
import type { Command } from 'commander';
import { createSharedKillSwitchStore } from '../adapters/index.js';
import { isLivegateError } from '../core/errors.js';
import type { KillSwitchStore } from '../core/ports.js';
import { initDecision, type Decision } from '../killswitch/transitions.js';
import { addCommonOptions, resolveConfig, type CommonOptions } from './command-options.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { requireAuditText } from './change-command.js';
import { MAX_BY_LENGTH, MAX_REASON_LENGTH } from '../core/audit-text.js';

interface InitOptions extends CommonOptions {
  readonly reason: string;
  readonly by?: string;
  readonly engaged?: boolean;
  readonly json?: boolean;
  readonly replicas?: string;
}

export function registerInitCommand(program: Command): void {
  const command = program
    .command('init')
    .description(
      'create the kill-switch state on a store that has none (SAFE, or ENGAGED with --engaged); refuses if it exists',
    );
  addCommonOptions(command)
    .requiredOption('-r, --reason <text>', 'why (required; recorded in the audit trail)')
    .option('-b, --by <name>', 'operator name (default: user@host)')
    .option('--engaged', 'create it ENGAGED: engines stay closed until a reset')
    .option('--json', 'print the result as JSON')
    .option(
      '--replicas <n>',
      'NATS only: copies of the bucket across the cluster (default: killSwitch.replicas, 1; use 3 on a 3-node cluster)',
    )
    .action(async (options: InitOptions) => {
      process.exitCode = await runInit(options);
    });
}

async function runInit(options: InitOptions): Promise<number> {
  const config = await resolveConfig(
    options,
    options.replicas === undefined ? {} : { killSwitch: { replicas: Number(options.replicas) } },
  );
  const by = options.by ?? `${os.userInfo().username}@${os.hostname()}`;
  requireAuditText('--reason', options.reason, MAX_REASON_LENGTH);
  requireAuditText('--by', by, MAX_BY_LENGTH);
  const decide = initDecision(options.reason, by, options.engaged === true);
  const store = await createSharedKillSwitchStore(config);
  try {
    let existing;
    try {
      existing = await store.read();
    } catch (error) {
      if (!isLivegateError(error, 'ERR_STATE_UNREADABLE')) throw error;
      if (error.details?.['vanished'] === true) return await create(store, decide, options);
      process.stderr.write(
        `livegate: ERR_STATE_UNREADABLE: state exists at ${store.name} but is unreadable; repair it with livegate reset (${error.message})\n`,
      );
      return EXIT_FAILURE;
    }
    if (existing !== null) {
      process.stderr.write(
        `livegate: ERR_TRANSITION_REFUSED: ${store.name} already has kill-switch state (${existing.state}, revision ${existing.revision}, generation ${existing.generation ?? 'none'}); use kill/reduce/reset\n`,
      );
      return EXIT_FAILURE;
    }
    return await create(store, decide, options);
  } finally {
    await store.close();
  }
}

/** Creates the state (a new generation); refused when another writer created it first. */
async function create(
  store: KillSwitchStore,
  decide: Decision,
  options: InitOptions,
): Promise<number> {
  const { record, changed } = await store.update(decide);
  if (!changed) {
    process.stderr.write(
      `livegate: ERR_TRANSITION_REFUSED: another writer created the state first (revision ${record.revision}); nothing written\n`,
    );
    return EXIT_FAILURE;
  }
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ ok: true, store: store.name, record }, null, 2)}\n`);
  } else {
    process.stdout.write(
      `created kill-switch state on ${store.name}: ${record.state} at revision ${record.revision}, generation ${record.generation ?? 'none'}\n  by ${record.by}: ${record.reason}\n`,
    );
  }
  return EXIT_OK;
}

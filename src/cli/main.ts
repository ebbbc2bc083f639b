#!/usr/bin/env node
// The `livegate` command: one subcommand per file, exit codes 0 ok, 1 runtime failure, 2 usage/config error.

import { Command, CommanderError } from 'commander';
import { registerChangeCommand } from './change-command.js';
import { registerDrillCommand } from './drill-command.js';
import { registerInitCommand } from './init-command.js';
import { describeError, EXIT_USAGE, exitCodeFor } from './exit-codes.js';
import { registerRunCommand } from './run-command.js';
import { registerStatusCommand } from './status-command.js';
import { registerVenuesCommand } from './venues-command.js';
import { registerWatchdogCommand } from './watchdog-command.js';

export function buildProgram(): Command {
  const program = new Command()
    .name('livegate')
    .description('A live-trading engine guarded by a kill switch you can bet the firm on.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // Parse errors in the same form as every other error: `livegate: CODE: message`.
    .configureOutput({
      outputError: (text, write) => write(`livegate: ERR_USAGE: ${text.replace(/^error: /, '')}`),
    })
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 runtime failure (or an engine did not confirm a kill), 2 usage or configuration error, 3 a run that ended with its own gates closed.\nEnvironment: LIVEGATE_CONFIG, LIVEGATE_STATE_DIR, LIVEGATE_ENGINE_ID, LIVEGATE_LOG_LEVEL, LIVEGATE_HTTP_PORT, LIVEGATE_OPERATOR_TOKEN, LIVEGATE_ADMIN_TOKEN, LIVEGATE_VENUE_API_KEY, LIVEGATE_VENUE_SECRET, LIVEGATE_VENUE_PASSWORD.',
    );
  registerRunCommand(program);
  registerChangeCommand(program, 'kill');
  registerChangeCommand(program, 'reduce');
  registerChangeCommand(program, 'reset');
  registerInitCommand(program);
  registerStatusCommand(program);
  registerDrillCommand(program);
  registerWatchdogCommand(program);
  registerVenuesCommand(program);
  return program;
}

async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every other parse problem is a usage error.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.stderr.write(`${describeError(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}

/** Resolves once everything written to the stream so far has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

await main(process.argv);
// Every command has finished here (`run` exits by itself). A store client still reconnecting in
// the background (NATS to a frozen server) must not keep a finished `kill` or `status` alive.
await flushed(process.stdout);
await flushed(process.stderr);
process.exit(Number(process.exitCode ?? 0));

// The full `livegate` command (quick-main.ts loads it for anything but a plain kill, reduce,
// reset or status): one subcommand per file, exit codes 0 ok, 1 runtime failure, 2 usage/config error.

import module from 'node:module';
import type { Command } from 'commander';
import { describeError, EXIT_USAGE, exitCodeFor } from './exit-codes.js';
import { quickCommandLine, type QuickCommand } from './quick-command-line.js';
import { flushed, quietOnClosedPipe } from './process-output.js';
import type { ChangeOptions } from './change-command.js';

// Node 22.1+ caches compiled code on disk (in the OS temp dir): every command after the first
// loads its modules faster. Before the command modules below are imported; a no-op on Node 20.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

/**
 * Each command's module, loaded only when needed: `kill` and `status` must not pay for loading
 * the engine (pino, the live loop, the venues) in an emergency. Listed in `--help` order.
 */
const COMMANDS: Readonly<Record<string, (program: Command) => Promise<void>>> = {
  run: async (program) => (await import('./run-command.js')).registerRunCommand(program),
  kill: async (program) =>
    (await import('./change-command.js')).registerChangeCommand(program, 'kill'),
  reduce: async (program) =>
    (await import('./change-command.js')).registerChangeCommand(program, 'reduce'),
  reset: async (program) =>
    (await import('./change-command.js')).registerChangeCommand(program, 'reset'),
  init: async (program) => (await import('./init-command.js')).registerInitCommand(program),
  status: async (program) => (await import('./status-command.js')).registerStatusCommand(program),
  drill: async (program) => (await import('./drill-command.js')).registerDrillCommand(program),
  watchdog: async (program) =>
    (await import('./watchdog-command.js')).registerWatchdogCommand(program),
  guard: async (program) => (await import('./guard-command.js')).registerGuardCommand(program),
  venues: async (program) => (await import('./venues-command.js')).registerVenuesCommand(program),
  limits: async (program) => {
    const limits = (await import('./limits-command.js')).registerLimitsCommand(program);
    (await import('./limits-what-if-command.js')).registerLimitsWhatIf(limits);
  },
};

/**
 * Commands that validate each schema once or twice and exit: zod's JIT costs them more than it
 * saves. `run` keeps it for the records and requests it parses all day.
 */
const ONE_SHOT_COMMANDS: ReadonlySet<string> = new Set([
  'kill',
  'reduce',
  'reset',
  'status',
  'init',
]);

/**
 * The program with every command, or with only `only` when the command line names one (its own
 * `--help` included); an unknown name or none gets them all, for the full usage and errors.
 */
export async function buildProgram(only?: string): Promise<Command> {
  const { Command } = await import('commander');
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
      '\nExit codes: 0 ok, 1 runtime failure (or an engine did not confirm a kill), 2 usage or configuration error, 3 a run that ended with its own gates closed.\nEnvironment: LIVEGATE_CONFIG, LIVEGATE_STATE_DIR, LIVEGATE_ENGINE_ID, LIVEGATE_LOG_LEVEL, LIVEGATE_HTTP_PORT, LIVEGATE_OPERATOR_TOKEN, LIVEGATE_ADMIN_TOKEN, LIVEGATE_GATEWAY_TOKEN, LIVEGATE_VENUE_API_KEY, LIVEGATE_VENUE_SECRET, LIVEGATE_VENUE_PASSWORD, LIVEGATE_KILL_VENUE_API_KEY, LIVEGATE_KILL_VENUE_SECRET, LIVEGATE_KILL_VENUE_PASSWORD, LIVEGATE_FIX_USERNAME, LIVEGATE_FIX_PASSWORD, LIVEGATE_KILL_FIX_USERNAME, LIVEGATE_KILL_FIX_PASSWORD.',
    );
  const names =
    only !== undefined && Object.hasOwn(COMMANDS, only) ? [only] : Object.keys(COMMANDS);
  for (const name of names) await COMMANDS[name]!(program);
  return program;
}

async function main(argv: readonly string[]): Promise<void> {
  quietOnClosedPipe(process.stdout);
  // Loaded here, not at the top: after enableCompileCache(), so what they load is cached too.
  if (argv[2] !== undefined && ONE_SHOT_COMMANDS.has(argv[2])) {
    (await import('./command-options.js')).preferZodWithoutJit();
  }
  // A plain kill/reduce/reset/status does not load commander; anything else goes through it.
  const quick = quickCommandLine(argv);
  try {
    if (quick !== undefined) {
      process.exitCode = await runQuickly(quick.command, quick.options);
      return;
    }
    // argv[2] is the command (`livegate kill …`); options come after it.
    await (await buildProgram(argv[2])).parseAsync(argv);
  } catch (error) {
    if (quick === undefined && error instanceof (await import('commander')).CommanderError) {
      // Help and version exit 0; every other parse problem is a usage error.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.stderr.write(`${describeError(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}

/** What the command's commander action would do with these options (quick-command-line.ts). */
async function runQuickly(
  command: QuickCommand,
  options: Record<string, unknown>,
): Promise<number> {
  if (command === 'status') {
    const { showStatus } = await import('./status-command.js');
    return showStatus(options);
  }
  const { runChange } = await import('./change-command.js');
  return runChange(command, options as unknown as ChangeOptions);
}

await main(process.argv);
// Every command has finished here (`run` exits by itself). A store client still reconnecting in
// the background (NATS to a frozen server) must not keep a finished `kill` or `status` alive.
await flushed(process.stdout);
await flushed(process.stderr);
process.exit(Number(process.exitCode ?? 0));

// A plain kill/reduce/reset/status (quick-command-line.ts), run as main.ts would run it through
// commander: same options, same output, same errors and exit codes.

import { runChange, type ChangeOptions } from './change-command.js';
import { preferZodWithoutJit } from './command-options.js';
import { describeError, exitCodeFor } from './exit-codes.js';
import { flushed, quietOnClosedPipe } from './process-output.js';
import { quickCommandLine, type QuickCommand } from './quick-command-line.js';
import { showStatus } from './status-command.js';

/**
 * Starts the command when the command line is a plain one (then exits by itself); false for
 * anything else (`--help`, short options, mistakes), which goes to the full CLI and commander.
 */
export function ranQuickly(argv: readonly string[] = process.argv): boolean {
  const quick = quickCommandLine(argv);
  if (quick === undefined) return false;
  void runQuickCommand(quick.command, quick.options);
  return true;
}

/** Runs the command, then exits with its code once stdout and stderr are handed to the OS. */
export async function runQuickCommand(
  command: QuickCommand,
  options: Record<string, unknown>,
): Promise<never> {
  quietOnClosedPipe(process.stdout);
  preferZodWithoutJit();
  try {
    process.exitCode =
      command === 'status'
        ? await showStatus(options)
        : await runChange(command, options as unknown as ChangeOptions);
  } catch (error) {
    process.stderr.write(`${describeError(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
  await flushed(process.stdout);
  await flushed(process.stderr);
  process.exit(Number(process.exitCode ?? 0));
}

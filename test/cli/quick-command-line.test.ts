// The commander-free reading of kill/reduce/reset/status: the same options as commander, or none.

import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerChangeCommand } from '../../src/cli/change-command.js';
import { quickCommandLine } from '../../src/cli/quick-command-line.js';
import { registerStatusCommand } from '../../src/cli/status-command.js';

/** The options commander hands the action for `argv`, or the error it stops with. */
async function commanderOptions(argv: readonly string[]): Promise<unknown> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  const name = argv[2] as 'kill' | 'reduce' | 'reset' | 'status';
  if (name === 'status') registerStatusCommand(program);
  else registerChangeCommand(program, name);
  let seen: unknown;
  program.commands[0]!.exitOverride().action((options: unknown) => {
    seen = options;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    return { refused: (error as Error).message };
  }
  return seen;
}

const cli = (...words: string[]) => ['node', 'livegate', ...words];

const READ_BY_BOTH = [
  cli('kill', '--reason', 'flash crash'),
  cli('kill', '--state-dir', '/srv/state', '--reason', 't', '--no-venues'),
  cli('kill', '--reason', '', '--by', 'ops@desk', '--timeout', '200', '--json'),
  cli('kill', '--scope', 'desk:fx', '--create-scope', '--reason', 'r', '--store', 'file:/x'),
  cli('reduce', '--reason', 'r', '--config', 'livegate.yaml', '--scope', 'engine:a'),
  cli('reset', '--reason', 'r', '--by', 'ops'),
  cli('status'),
  cli('status', '--json', '--history', '0', '--state-dir', 'rel/dir'),
];

const LEFT_TO_COMMANDER = [
  cli('kill'),
  cli('kill', '-r', 'short'),
  cli('kill', '--reason=equals'),
  cli('kill', '--reason', 'a', '--reason', 'twice'),
  cli('kill', '--reason', '--json'),
  cli('kill', '--reason', 'r', '--help'),
  cli('kill', '--reason', 'r', 'extra'),
  cli('kill', '--reason', 'r', '--timeout'),
  cli('reduce', '--reason', 'r', '--no-venues'),
  cli('reset', '--reason', 'r'),
  cli('status', '--reason', 'r'),
  cli('status', '--history', '-1'),
  cli('status', '--stat-dir', 'typo'),
  cli('run'),
];

describe('quickCommandLine', () => {
  it.each(READ_BY_BOTH)('gives the options commander gives: %j', async (...argv) => {
    const quick = quickCommandLine(argv);
    expect(quick?.command).toBe(argv[2]);
    expect(quick?.options).toEqual(await commanderOptions(argv));
  });

  it.each(LEFT_TO_COMMANDER)('leaves anything else to commander: %j', (...argv) => {
    expect(quickCommandLine(argv)).toBeUndefined();
  });
});

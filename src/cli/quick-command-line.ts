// `livegate kill|reduce|reset|status` with a plain command line, read without commander: its
// ~5 ms of start-up is a twentieth of the 100 ms an emergency command is given (issue 13).

import { GLOBAL_SCOPE } from '../core/scopes.js';

export type QuickCommand = 'kill' | 'reduce' | 'reset' | 'status';

interface OptionsOf {
  /** `--flag value` options: flag -> option key, as commander names them. */
  readonly values: Readonly<Record<string, string>>;
  /** Flags without a value: flag -> [key, value]. */
  readonly switches: Readonly<Record<string, readonly [string, boolean]>>;
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly required: readonly string[];
}

const COMMON_VALUES = { '--config': 'config', '--state-dir': 'stateDir', '--store': 'store' };
const CHANGE_VALUES = {
  ...COMMON_VALUES,
  '--reason': 'reason',
  '--timeout': 'timeout',
  '--scope': 'scope',
  '--by': 'by',
};
const CHANGE_SWITCHES = {
  '--json': ['json', true],
  '--create-scope': ['createScope', true],
} as const;

/** What each command's commander definition accepts (a test holds the two in step). */
const COMMANDS: Readonly<Record<QuickCommand, OptionsOf>> = {
  kill: {
    values: CHANGE_VALUES,
    switches: { ...CHANGE_SWITCHES, '--no-venues': ['venues', false] },
    defaults: { scope: GLOBAL_SCOPE, venues: true },
    required: ['reason'],
  },
  reduce: {
    values: CHANGE_VALUES,
    switches: CHANGE_SWITCHES,
    defaults: { scope: GLOBAL_SCOPE },
    required: ['reason'],
  },
  reset: {
    values: CHANGE_VALUES,
    switches: CHANGE_SWITCHES,
    defaults: { scope: GLOBAL_SCOPE },
    required: ['reason', 'by'],
  },
  status: {
    values: { ...COMMON_VALUES, '--history': 'history' },
    switches: { '--json': ['json', true] },
    defaults: { history: '5' },
    required: [],
  },
};

/**
 * The options commander would give the command's action, for a command line made only of long
 * options, each given once, every value in the next word and not starting with `-`, every
 * required option present. Anything else (help, short or `--x=y` options, repeats, a typo, a
 * missing option) returns undefined: commander then reads it and reports what is wrong.
 */
export function quickCommandLine(
  argv: readonly string[],
): { command: QuickCommand; options: Record<string, unknown> } | undefined {
  const command = argv[2];
  if (command === undefined || !Object.hasOwn(COMMANDS, command)) return undefined;
  const spec = COMMANDS[command as QuickCommand];
  const given: Record<string, unknown> = {};
  for (let index = 3; index < argv.length; index++) {
    const word = argv[index] ?? '';
    const key = Object.hasOwn(spec.values, word) ? spec.values[word] : undefined;
    const flag = Object.hasOwn(spec.switches, word) ? spec.switches[word] : undefined;
    const name = key ?? flag?.[0];
    if (name === undefined || Object.hasOwn(given, name)) return undefined;
    if (flag !== undefined) {
      given[name] = flag[1];
      continue;
    }
    const value = argv[++index];
    if (value === undefined || value.startsWith('-')) return undefined;
    given[name] = value;
  }
  if (spec.required.some((name) => !Object.hasOwn(given, name))) return undefined;
  return { command: command as QuickCommand, options: { ...spec.defaults, ...given } };
}

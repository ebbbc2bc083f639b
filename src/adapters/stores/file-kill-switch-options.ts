// The file store's options, checked without zod: `kill` and `status` open this store and nothing
// else parses with zod on their way (store-options.test.ts holds it to the zod-based stores' rules).
import type { Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import { GLOBAL_SCOPE, SCOPE_NAME_RULE, SCOPE_PATTERN } from '../../core/scopes.js';
import {
  boolean,
  integer,
  object,
  optional,
  satisfies,
  text,
  type Problems,
} from '../../core/shape-check.js';

export interface FileKillSwitchStoreOptions {
  stateDirectory: string;
  /** Fallback re-read period for watchers, in ms (default 250). */
  pollIntervalMs?: number;
  /** Push changes with fs.watch as well as polling (default true). */
  useFsWatch?: boolean;
  clock?: Clock;
  /** Stamped into records (default os.hostname()). */
  host?: string;
  /** Kill-switch scope (default `global`); engine reports are shared by every scope of a state dir. */
  scope?: string;
  /** Each file-system call of a read must finish within this, or the state is unreadable (default 1000). */
  readTimeoutMs?: number;
}

/** Anything shaped like a Clock (a ManualClock, a fake), not only the system clock. */
export function isClock(value: unknown): value is Clock {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<Clock>).now === 'function' &&
    typeof (value as Partial<Clock>).monotonic === 'function'
  );
}

const optionsCheck = object(
  {
    stateDirectory: text({ min: 1 }),
    pollIntervalMs: optional(integer(1, 60_000)),
    useFsWatch: optional(boolean()),
    clock: optional(satisfies(isClock, 'expected a Clock with now() and monotonic()')),
    host: optional(text({ min: 1 })),
    scope: optional(text({ pattern: SCOPE_PATTERN, patternRule: SCOPE_NAME_RULE })),
    readTimeoutMs: optional(integer(1, 60_000)),
  },
  'strict',
);

type Resolved = Required<Omit<FileKillSwitchStoreOptions, 'clock' | 'host'>> &
  Pick<FileKillSwitchStoreOptions, 'clock' | 'host'>;

/** The options with their defaults, or ERR_CONFIG_INVALID naming every problem at once. */
export function resolveFileStoreOptions(options: FileKillSwitchStoreOptions): Resolved {
  const problems: Problems = [];
  optionsCheck(options, '', problems);
  if (problems.length > 0) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `Invalid FileKillSwitchStore options: ${problems.join('; ')}`,
    );
  }
  return {
    stateDirectory: options.stateDirectory,
    pollIntervalMs: options.pollIntervalMs ?? 250,
    useFsWatch: options.useFsWatch ?? true,
    scope: options.scope ?? GLOBAL_SCOPE,
    readTimeoutMs: options.readTimeoutMs ?? 1000,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.host === undefined ? {} : { host: options.host }),
  };
}

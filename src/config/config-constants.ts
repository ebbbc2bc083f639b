// Config constants and helpers without zod: `kill` on the defaults uses them without loading the schema.

/** Where engines and commands meet when no stateDir is configured (relative to the working directory). */
export const DEFAULT_STATE_DIR = './.livegate';

/** Strategy names that are not module paths (kept in step with src/strategies by a test). */
export const BUILTIN_STRATEGY_NAMES = ['one-order-per-tick', 'ma-crossover', 'periodic'] as const;

/** Freezes every nested object and array so a config cannot drift after validation. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export type Path = readonly string[];

/** Environment variables and the keys they set (the config file path is handled separately). */
export const ENVIRONMENT_VARIABLES: ReadonlyArray<readonly [name: string, path: Path]> = [
  ['LIVEGATE_STATE_DIR', ['stateDir']],
  ['LIVEGATE_ENGINE_ID', ['engine', 'id']],
  ['LIVEGATE_LOG_LEVEL', ['log', 'level']],
  ['LIVEGATE_HTTP_PORT', ['http', 'port']],
];

/** What a kill's venue step is built from. */
export const VENUE_SECTIONS: ReadonlySet<string> = new Set(['broker', 'venue', 'gateway', 'fix']);

/** `risk.preTrade.defaults` -> `risk`, `feed[0]` -> `feed`, a problem of the whole config -> ''. */
export function topSection(path: string): string {
  return /^[^.[]*/.exec(path)?.[0] ?? '';
}

/** An unset or blank environment variable counts as absent. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

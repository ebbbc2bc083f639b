// Options every command shares, and how they become a validated configuration.

import type { Command } from 'commander';
import { defaultsOnlyConfig } from '../config/defaults-only-config.js';
import type { ConfigForChange, LoadConfigOptions } from '../config/load-config.js';
import type { LivegateConfig } from '../config/schema.js';
import { LivegateError } from '../core/errors.js';

export interface CommonOptions {
  readonly config?: string;
  readonly stateDir?: string;
  readonly store?: string;
}

export function addCommonOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'YAML configuration file (default: $LIVEGATE_CONFIG)')
    .option(
      '-s, --state-dir <dir>',
      'state directory shared with running engines (default: $LIVEGATE_STATE_DIR or ./.livegate)',
    )
    .option(
      '--store <store>',
      'kill-switch store: file:DIR | nats://HOST:PORT[,nats://HOST:PORT...] | redis://HOST:PORT | redis+sentinel://HOST:26379[,HOST:PORT...]/MASTER_NAME (default: killSwitch.store)',
    );
}

/** `--store` as config overrides: which store, and where. */
export function storeOverrides(text: string): Record<string, unknown> {
  if (text.startsWith('file:') && text.length > 5) {
    return { store: 'file', directory: text.slice(5), url: null };
  }
  if (/^nats:\/\/\S+$/.test(text)) return { store: 'nats', url: text };
  // The config check then names what is wrong with a malformed Redis address.
  if (/^(rediss?|redis\+sentinel):\/\/\S+$/.test(text)) return { store: 'redis', url: text };
  throw new LivegateError(
    'ERR_USAGE',
    `--store must be file:DIR, nats://HOST:PORT, redis://HOST:PORT or redis+sentinel://HOST:PORT/MASTER_NAME, got "${text}"`,
  );
}

let zodWithoutJit = false;

/**
 * For commands that validate each schema once or twice and exit: zod's JIT costs them more than
 * it saves. Applied when zod loads (with the config loader): on the defaults it never does.
 */
export function preferZodWithoutJit(): void {
  zodWithoutJit = true;
}

async function configLoader(): Promise<typeof import('../config/load-config.js')> {
  if (zodWithoutJit) (await import('./zod-without-jit.js')).useZodWithoutJit();
  return import('../config/load-config.js');
}

/**
 * Defaults < file < environment < flags; every problem reported at once (exit code 2). The loader
 * and its zod schemas are loaded only when there is more than a state dir to validate.
 */
export async function resolveConfig(
  options: CommonOptions,
  overrides: Record<string, unknown> = {},
): Promise<LivegateConfig> {
  const load = loadOptions(options, overrides);
  return defaultsOnlyConfig(load) ?? (await configLoader()).loadConfig(load);
}

/** As resolveConfig, for kill, reduce and reset: problems outside the store's sections set aside. */
export async function resolveConfigForChange(options: CommonOptions): Promise<ConfigForChange> {
  const load = loadOptions(options, {});
  const config = defaultsOnlyConfig(load);
  if (config !== undefined) return { config, setAside: [] };
  return (await configLoader()).loadConfigForChange(load);
}

function loadOptions(
  options: CommonOptions,
  overrides: Record<string, unknown>,
): LoadConfigOptions {
  let withStateDir =
    options.stateDir === undefined ? overrides : { ...overrides, stateDir: options.stateDir };
  if (options.store !== undefined) {
    const killSwitch = (overrides.killSwitch ?? {}) as Record<string, unknown>;
    withStateDir = {
      ...withStateDir,
      killSwitch: { ...killSwitch, ...storeOverrides(options.store) },
    };
  }
  return {
    ...(options.config === undefined ? {} : { path: options.config }),
    env: process.env,
    overrides: withStateDir,
  };
}

/** A flag's milliseconds: a number > 0, or ERR_USAGE naming the flag. */
export function positiveMs(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new LivegateError(
      'ERR_USAGE',
      `${flag} must be a number of milliseconds > 0, got "${text}"`,
    );
  }
  return value;
}

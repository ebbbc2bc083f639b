// Options every command shares, and how they become a validated configuration.

import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { LivegateConfig } from '../config/schema.js';

export interface CommonOptions {
  readonly config?: string;
  readonly stateDir?: string;
}

export function addCommonOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'YAML configuration file (default: $LIVEGATE_CONFIG)')
    .option(
      '-s, --state-dir <dir>',
      'state directory shared with running engines (default: $LIVEGATE_STATE_DIR or ./.livegate)',
    );
}

/** Defaults < file < environment < flags; every problem reported at once (exit code 2). */
export function resolveConfig(
  options: CommonOptions,
  overrides: Record<string, unknown> = {},
): LivegateConfig {
  const withStateDir =
    options.stateDir === undefined ? overrides : { ...overrides, stateDir: options.stateDir };
  return loadConfig({
    ...(options.config === undefined ? {} : { path: options.config }),
    env: process.env,
    overrides: withStateDir,
  });
}

// The configuration of a command run with no config file, without loading zod or the schema: a
// `livegate kill` in an emergency on the defaults spent ~40 ms building and running the config's
// schemas. The defaults are the schema's own output, computed when the CLI is bundled.

import { resolve } from 'node:path';
import { defaultEngineId } from './default-engine-id.js';
import { DEFAULT_STATE_DIR, deepFreeze, nonEmpty } from './config-constants.js';
import { resolvePaths } from './config-paths.js';
import type { LoadConfigOptions } from './load-config.js';
import type { LivegateConfig } from './schema.js';

/**
 * `configSchema.parse({})` as JSON, put in by scripts/bundle-cli.mjs (esbuild `define`); absent
 * when running tsc's unbundled output, which then always takes the schema.
 */
function builtDefaultConfigText(): string | undefined {
  return (globalThis as { livegateBuiltDefaultConfig?: string }).livegateBuiltDefaultConfig;
}

/**
 * The config loadConfig() would return, when nothing but a state dir and an engine id can differ
 * from the defaults (no file, no LIVEGATE_CONFIG / LOG_LEVEL / HTTP_PORT, overrides of `stateDir`
 * only) and both are non-empty strings, which is all the schema asks of them. Anything else,
 * valid or not, returns undefined: the caller validates it with the schema, which names problems.
 */
export function defaultsOnlyConfig(
  options: LoadConfigOptions,
  defaultsText: string | undefined = builtDefaultConfigText(),
): LivegateConfig | undefined {
  const env = options.env ?? process.env;
  const overrides = options.overrides ?? {};
  if (defaultsText === undefined || options.path !== undefined) return undefined;
  if (!onlyStateDir(overrides)) return undefined;
  for (const name of ['LIVEGATE_CONFIG', 'LIVEGATE_LOG_LEVEL', 'LIVEGATE_HTTP_PORT']) {
    if (nonEmpty(env[name]) !== undefined) return undefined;
  }
  const stateDir =
    overrides.stateDir === undefined
      ? (nonEmpty(env.LIVEGATE_STATE_DIR) ?? DEFAULT_STATE_DIR)
      : overrides.stateDir;
  if (typeof stateDir !== 'string' || stateDir === '') return undefined;
  const cwd = options.cwd ?? process.cwd();
  const defaults = JSON.parse(defaultsText) as LivegateConfig;
  const engineId =
    nonEmpty(env.LIVEGATE_ENGINE_ID) ?? defaultEngineId(undefined, resolve(cwd, stateDir));
  const config = { ...defaults, stateDir, engine: { ...defaults.engine, id: engineId } };
  return deepFreeze(resolvePaths(config, cwd));
}

/** Overrides with no key but `stateDir` (undefined values count as absent, as when merging). */
function onlyStateDir(overrides: Record<string, unknown>): boolean {
  return Object.entries(overrides).every(
    ([key, value]) => key === 'stateDir' || value === undefined,
  );
}

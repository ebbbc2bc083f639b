// Relative paths in a validated config made absolute: shared by the loader and the zod-free defaults path.

import { resolve } from 'node:path';
import type { LivegateConfig } from './schema.js';
import { BUILTIN_STRATEGY_NAMES } from './config-constants.js';

export function resolvePaths(config: LivegateConfig, cwd: string): LivegateConfig {
  const { csv } = config.feed;
  const { module } = config.strategy;
  return {
    ...config,
    stateDir: resolve(cwd, config.stateDir),
    feed: {
      ...config.feed,
      csv: { ...csv, path: csv.path === null ? null : resolve(cwd, csv.path) },
    },
    strategy: { ...config.strategy, module: isModulePath(module) ? resolve(cwd, module) : module },
    killSwitch: {
      ...config.killSwitch,
      directory: resolveOptional(cwd, config.killSwitch.directory),
    },
    http: {
      ...config.http,
      operatorTokenFile: resolveOptional(cwd, config.http.operatorTokenFile),
      adminTokenFile: resolveOptional(cwd, config.http.adminTokenFile),
    },
    gateway: {
      ...config.gateway,
      tls:
        config.gateway.tls === null
          ? null
          : {
              certFile: resolve(cwd, config.gateway.tls.certFile),
              keyFile: resolve(cwd, config.gateway.tls.keyFile),
            },
    },
  };
}

function resolveOptional(cwd: string, file: string | null): string | null {
  return file === null ? null : resolve(cwd, file);
}

export function isModulePath(module: string): boolean {
  return !(BUILTIN_STRATEGY_NAMES as readonly string[]).includes(module) && module !== '';
}

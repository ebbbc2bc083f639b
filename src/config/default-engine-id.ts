// The engine id when none is configured: stable across restarts of the same deployment, so a
// restarted engine finds its journal (and its risk state) and `status` lists one engine, not one
// per process that ever ran. Two engines started from the same config file and state dir get the
// same id, and the second is refused (ERR_ENGINE_ID_IN_USE) until one is given --engine-id.

import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, extname } from 'node:path';

/** `<hostname>-<config file name>-<8 hex of the absolute config path and state dir>`. */
export function defaultEngineId(configFile: string | undefined, stateDir: string): string {
  const name = configFile === undefined ? 'livegate' : basename(configFile, extname(configFile));
  const digest = createHash('sha256')
    .update(`${configFile ?? ''}\n${stateDir}`)
    .digest('hex')
    .slice(0, 8);
  const readable = name.replace(/[^A-Za-z0-9._-]/g, '_') || 'livegate';
  return `${hostname()}-${readable}-${digest}`;
}

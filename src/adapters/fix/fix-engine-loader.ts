// Loads jspurefix, the FIX engine, on demand: an optional dependency that only a FIX venue needs,
// so `livegate kill`, `status` and every other venue never load it (nor fail without it).

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LivegateError } from '../../core/errors.js';

export type FixEngine = typeof import('jspurefix');

export interface LoadedFixEngine {
  readonly engine: FixEngine;
  /** The QuickFIX FIX 4.4 dictionary inside the package (a plain file of the published tarball). */
  readonly defaultDictionary: string;
}

let loading: Promise<LoadedFixEngine> | undefined;

/** The engine, loaded once per process; ERR_DEPENDENCY_MISSING when it is not installed. */
export function loadFixEngine(packageName = 'jspurefix'): Promise<LoadedFixEngine> {
  if (packageName !== 'jspurefix') return load(packageName);
  loading ??= load(packageName).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(packageName: string): Promise<LoadedFixEngine> {
  let entry: string;
  try {
    entry = import.meta.resolve(packageName);
  } catch (error) {
    throw new LivegateError(
      'ERR_DEPENDENCY_MISSING',
      `feed.kind or broker.kind is fix, which needs the optional package ${packageName}, and it is not installed here: run \`npm install ${packageName}@5\` beside livegate (npm installs it with livegate unless optional dependencies were omitted)`,
      { cause: error },
    );
  }
  const entryPath = fileURLToPath(entry);
  const requireFromEngine = createRequire(entryPath);
  // tsyringe, which jspurefix builds its sessions with, needs the Reflect metadata polyfill first.
  requireFromEngine('reflect-metadata');
  const engine = (await import(entry)) as FixEngine;
  const packageRoot = dirname(dirname(entryPath));
  return { engine, defaultDictionary: join(packageRoot, 'data', 'FIX44.xml') };
}

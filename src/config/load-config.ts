// Builds the run's configuration from defaults < YAML file < environment < overrides, validated once and frozen.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { isLivegateError, LivegateError } from '../core/errors.js';
import { defaultEngineId } from './default-engine-id.js';
import { validateConfig, type ConfigIssue, type LivegateConfig } from './schema.js';
import {
  DEFAULT_STATE_DIR,
  deepFreeze,
  ENVIRONMENT_VARIABLES,
  nonEmpty,
  topSection,
  type Path,
} from './config-constants.js';
import { isModulePath, resolvePaths } from './config-paths.js';

// Shared with the zod-free path of kill/reduce/reset/status, re-exported for the other callers.
export { ENVIRONMENT_VARIABLES, topSection, VENUE_SECTIONS } from './config-constants.js';

export interface LoadConfigOptions {
  /** YAML file; when absent, `LIVEGATE_CONFIG`; when both are absent, defaults only. */
  readonly path?: string;
  /** Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Deep-partial config from command-line flags; undefined values are ignored. */
  readonly overrides?: Record<string, unknown>;
  /** Base for a relative stateDir, config path, or path given in env/overrides. Default: process.cwd(). */
  readonly cwd?: string;
}

/**
 * Throws ERR_CONFIG_UNREADABLE when the file cannot be read or parsed, and ERR_CONFIG_INVALID
 * listing every schema problem at once. A relative `feed.csv.path` or strategy module path in the
 * file is relative to the file's directory; everything else relative is relative to `cwd`.
 */
export function loadConfig(options: LoadConfigOptions = {}): LivegateConfig {
  const { merged, sourceOf, cwd } = mergeLayers(options);
  return deepFreeze(resolvePaths(validateConfig(merged, sourceOf), cwd));
}

/** Without these a kill, reduce or reset cannot find its store: a problem here stops it. */
const STORE_SECTIONS: ReadonlySet<string> = new Set(['stateDir', 'killSwitch', 'engine', 'log']);

export interface ConfigForChange {
  readonly config: LivegateConfig;
  /**
   * Problems in sections the change does not need to reach its store (a typo under risk, a bad
   * feed), set aside with their sections, which are left at their defaults.
   */
  readonly setAside: readonly ConfigIssue[];
}

/**
 * For kill, reduce and reset: an emergency change must not be refused over a section it does not
 * use. Problems in the store's sections (or across sections) still throw ERR_CONFIG_INVALID; the
 * others are returned, and a kill whose venue sections were set aside cannot confirm its venues.
 */
export function loadConfigForChange(options: LoadConfigOptions = {}): ConfigForChange {
  const { merged, sourceOf, cwd } = mergeLayers(options);
  try {
    return {
      config: deepFreeze(resolvePaths(validateConfig(merged, sourceOf), cwd)),
      setAside: [],
    };
  } catch (error) {
    if (!isLivegateError(error, 'ERR_CONFIG_INVALID') || !isPlainObject(merged)) throw error;
    const issues = (error.details as { issues: readonly ConfigIssue[] }).issues;
    const sections = new Set(issues.map((issue) => topSection(issue.path)));
    if ([...sections].some((section) => section === '' || STORE_SECTIONS.has(section))) throw error;
    const kept = Object.fromEntries(
      Object.entries(merged).filter(([section]) => !sections.has(section)),
    );
    let config: LivegateConfig;
    try {
      config = validateConfig(kept, sourceOf);
    } catch {
      throw error; // The sections depend on each other: the whole config's problems stand.
    }
    return { config: deepFreeze(resolvePaths(config, cwd)), setAside: issues };
  }
}

interface MergedLayers {
  readonly merged: unknown;
  readonly sourceOf: (path: readonly PropertyKey[]) => string | undefined;
  readonly cwd: string;
}

function mergeLayers(options: LoadConfigOptions): MergedLayers {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = options.path ?? nonEmpty(env.LIVEGATE_CONFIG);
  const fileLayer = file === undefined ? {} : readConfigFile(resolve(cwd, file));
  const environment = environmentLayer(env);
  const overrides = options.overrides ?? {};
  const merged = withDefaultEngineId(
    [environment.layer, overrides].reduce(mergeDeep, fileLayer),
    file === undefined ? undefined : resolve(cwd, file),
    cwd,
  );
  const sourceOf = (path: readonly PropertyKey[]) => {
    if (path.length > 0 && valueAt(overrides, path) !== undefined) return 'the command line';
    return environment.sources.get(path.join('.'));
  };
  return { merged, sourceOf, cwd };
}

/** No engine.id anywhere: a stable one from the config file and state dir (not host-pid). */
function withDefaultEngineId(
  merged: unknown,
  configFile: string | undefined,
  cwd: string,
): unknown {
  if (!isPlainObject(merged)) return merged;
  const engine = merged.engine;
  if (engine !== undefined && !isPlainObject(engine)) return merged;
  if (engine !== undefined && engine.id !== undefined && engine.id !== null) return merged;
  const stateDir = typeof merged.stateDir === 'string' ? merged.stateDir : DEFAULT_STATE_DIR;
  const id = defaultEngineId(configFile, resolve(cwd, stateDir));
  return { ...merged, engine: { ...engine, id } };
}

/**
 * A YAML (or JSON) file's content, file-relative paths resolved; ERR_CONFIG_UNREADABLE naming the
 * file and line when it cannot be read or parsed. Not validated: callers choose the schema.
 */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new LivegateError(
      'ERR_CONFIG_UNREADABLE',
      `cannot read config file ${path} (${reason})`,
      {
        cause: error,
        details: { path },
      },
    );
  }
  const content = parseYaml(text, path) ?? {};
  // A list or a scalar at the top: report it as the schema would, rather than merge over it.
  if (!isPlainObject(content)) validateConfig(content);
  return resolveFileRelativePaths(content, dirname(path));
}

function parseYaml(text: string, path: string): unknown {
  const document = yaml().parseDocument(text, { prettyErrors: true });
  const [first] = document.errors;
  if (first !== undefined) {
    const position = first.linePos?.[0];
    const where = position === undefined ? '' : `:${position.line}:${position.col}`;
    // yaml's messages end with "at line L, column C:" and a code excerpt; file:line:column says it all.
    const problems = document.errors.map((error) =>
      (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, ''),
    );
    throw new LivegateError(
      'ERR_CONFIG_UNREADABLE',
      `cannot parse config file ${path}${where}: ${problems.join('; ')}`,
      { cause: first, details: { path, line: position?.line, column: position?.col } },
    );
  }
  try {
    return document.toJS() as unknown;
  } catch (error) {
    // An alias to an anchor that does not exist surfaces only when converting.
    throw new LivegateError(
      'ERR_CONFIG_UNREADABLE',
      `cannot parse config file ${path}: ${(error as Error).message}`,
      { cause: error, details: { path } },
    );
  }
}

/** Paths in a file mean "next to this file", wherever the command is run from. */
function resolveFileRelativePaths(content: unknown, directory: string): unknown {
  const csvPath = valueAt(content, ['feed', 'csv', 'path']);
  if (typeof csvPath === 'string' && csvPath !== '') {
    setAt(content, ['feed', 'csv', 'path'], resolve(directory, csvPath));
  }
  const module = valueAt(content, ['strategy', 'module']);
  if (typeof module === 'string' && isModulePath(module)) {
    setAt(content, ['strategy', 'module'], resolve(directory, module));
  }
  for (const keyPath of FILE_RELATIVE_KEYS) {
    const value = valueAt(content, keyPath);
    if (typeof value === 'string' && value !== '')
      setAt(content, keyPath, resolve(directory, value));
  }
  for (const key of TOKEN_FILE_KEYS) {
    const tokenFile = valueAt(content, ['http', key]);
    if (typeof tokenFile === 'string' && tokenFile !== '') {
      setAt(content, ['http', key], resolve(directory, tokenFile));
    }
  }
  return content;
}

const TOKEN_FILE_KEYS = ['operatorTokenFile', 'adminTokenFile'] as const;
// killSwitch.directory too: a path in the file is next to the file.
const FILE_RELATIVE_KEYS: ReadonlyArray<readonly string[]> = [
  ['killSwitch', 'directory'],
  ['gateway', 'tls', 'certFile'],
  ['gateway', 'tls', 'keyFile'],
];

function environmentLayer(env: NodeJS.ProcessEnv): {
  layer: Record<string, unknown>;
  sources: Map<string, string>;
} {
  const layer: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const [name, path] of ENVIRONMENT_VARIABLES) {
    const value = nonEmpty(env[name]);
    if (value === undefined) continue;
    setAt(layer, path, value);
    sources.set(path.join('.'), name);
  }
  return { layer, sources };
}

/** Objects merge key by key; anything else (lists included) replaces; undefined leaves the base alone. */
function mergeDeep(base: unknown, layer: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(layer)) return layer === undefined ? base : layer;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(layer)) {
    if (value !== undefined) merged[key] = mergeDeep(base[key], value);
  }
  return merged;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (!isPlainObject(current) || typeof key !== 'string') return undefined;
    current = current[key];
  }
  return current;
}

/** Sets a value, creating objects on the way; leaves non-objects alone so the schema reports them. */
function setAt(root: unknown, path: Path, value: unknown): void {
  let current = root;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(current)) return;
    if (current[key] === undefined) current[key] = {};
    current = current[key];
  }
  if (isPlainObject(current)) current[path[path.length - 1] as string] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * yaml is loaded when a config file is read, not at start: `livegate kill` on the defaults must
 * not pay ~20 ms for it. Its Node build is CommonJS, so a synchronous require serves here.
 */
function yaml(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}

// Loading the configuration: file, environment and overrides in order, readable errors, frozen result.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LivegateError } from '../../src/core/errors.js';
import { loadConfig, type LoadConfigOptions } from '../../src/config/load-config.js';
import { defaultConfig, type ConfigIssue } from '../../src/config/schema.js';

const exampleFile = fileURLToPath(new URL('../../deploy/livegate.example.yaml', import.meta.url));

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'livegate-config-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

function configFile(text: string, name = 'livegate.yaml'): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

/** Isolated from the real environment and working directory. */
function load(options: LoadConfigOptions = {}) {
  return loadConfig({ env: {}, cwd: directory, ...options });
}

function failure(options: LoadConfigOptions): LivegateError {
  try {
    load(options);
  } catch (error) {
    expect(error).toBeInstanceOf(LivegateError);
    return error as LivegateError;
  }
  throw new Error('expected loadConfig to throw');
}

/** Key paths of every leaf, so two configs can be compared by shape. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) =>
    keyPaths(child, prefix === '' ? key : `${prefix}.${key}`),
  );
}

describe('loadConfig', () => {
  it('returns the defaults with stateDir made absolute and engine.id resolved', () => {
    const config = load();
    expect(config).toEqual({
      ...defaultConfig(),
      stateDir: join(directory, '.livegate'),
      engine: { ...defaultConfig().engine, id: config.engine.id },
    });
    // Stable across restarts: derived from the host, the (absent) config file and the state dir.
    expect(config.engine.id).toMatch(new RegExp(`^${hostname()}-livegate-[0-9a-f]{8}$`));
    expect(loadConfig({ cwd: directory, env: {} }).engine.id).toBe(config.engine.id);
    // Another state dir is another deployment, so another engine.
    const elsewhere = loadConfig({ cwd: directory, env: { LIVEGATE_STATE_DIR: 'other' } });
    expect(elsewhere.engine.id).not.toBe(config.engine.id);
  });

  it('loads the example deployment file, which documents every key', () => {
    const config = load({ path: exampleFile });
    expect(config.stateDir).toBe('/var/lib/livegate');
    expect(config.killSwitch.startEngaged).toBe(true);
    expect(config.strategy).toEqual({
      module: 'ma-crossover',
      options: { fast: 10, slow: 30, quantity: 1000 },
    });
    // strategy.options is free-form: its keys belong to the strategy, not to the schema.
    // risk.preTrade.symbols is keyed by symbol; optional risk keys have no default to compare with,
    // so: every defaulted key is documented, and the strict schema rejects any documented key that
    // does not exist (the file loaded above).
    const documented = new Set(
      keyPaths(parse(readFileSync(exampleFile, 'utf8')) as unknown).map((path) =>
        path.startsWith('strategy.options.') ? 'strategy.options' : path,
      ),
    );
    const known = [...keyPaths(defaultConfig()), 'strategy.options'].filter(
      (path) => !path.startsWith('risk.preTrade.symbols.'),
    );
    // A key whose default is null (risk.firm) is documented by an example of its inner keys.
    const isDocumented = (path: string): boolean =>
      documented.has(path) || [...documented].some((entry) => entry.startsWith(`${path}.`));
    expect(known.filter((path) => !isDocumented(path))).toEqual([]);
  });

  it('applies defaults < file < environment < overrides', () => {
    const path = configFile(
      [
        'stateDir: from-file',
        'engine:',
        '  id: file-engine',
        '  maxConsecutiveErrors: 7',
        'log:',
        '  level: debug',
      ].join('\n'),
    );
    const config = load({
      path,
      env: { LIVEGATE_STATE_DIR: '/srv/from-env', LIVEGATE_LOG_LEVEL: 'warn' },
      overrides: { log: { level: 'error' }, engine: { heartbeatIntervalMs: 200, id: undefined } },
    });
    expect(config.stateDir).toBe('/srv/from-env');
    expect(config.log.level).toBe('error');
    expect(config.engine).toMatchObject({
      id: 'file-engine',
      maxConsecutiveErrors: 7,
      heartbeatIntervalMs: 200,
    });
    expect(config.killSwitch.pollIntervalMs).toBe(250);
  });

  it('reads every environment variable, ignoring empty ones', () => {
    const config = load({
      env: {
        LIVEGATE_STATE_DIR: 'relative-state',
        LIVEGATE_ENGINE_ID: 'engine-from-env',
        LIVEGATE_LOG_LEVEL: 'trace',
      },
    });
    expect(config.stateDir).toBe(join(directory, 'relative-state'));
    expect(config.engine.id).toBe('engine-from-env');
    expect(config.log.level).toBe('trace');
    expect(load({ env: { LIVEGATE_LOG_LEVEL: '', LIVEGATE_ENGINE_ID: ' ' } }).log.level).toBe(
      'info',
    );
  });

  it('takes the file from LIVEGATE_CONFIG unless a path is given', () => {
    configFile('log:\n  level: warn\n', 'from-env.yaml');
    const explicit = configFile('log:\n  level: fatal\n', 'explicit.yaml');
    expect(load({ env: { LIVEGATE_CONFIG: 'from-env.yaml' } }).log.level).toBe('warn');
    expect(load({ path: explicit, env: { LIVEGATE_CONFIG: 'from-env.yaml' } }).log.level).toBe(
      'fatal',
    );
  });

  it('treats an empty file as all defaults', () => {
    expect(load({ path: configFile('# nothing set yet\n') }).log.level).toBe('info');
  });

  it('reports unknown keys at several depths and wrong types from file and overrides in ONE error', () => {
    const path = configFile(
      [
        'colour: red',
        'engine:',
        '  maxConsecutiveErrors: lots',
        'feed:',
        '  synthetic:',
        '    tiks: 5',
        '    seed: 1.5',
        'killSwitch:',
        '  startEngaged: yes',
      ].join('\n'),
    );
    const error = failure({
      path,
      env: { LIVEGATE_LOG_LEVEL: 'verbose' },
      overrides: { journal: { maxFiles: 'ten', rotate: true } },
    });
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    const issues = error.details?.issues as ConfigIssue[];
    expect(issues.map((issue) => `${issue.path}: ${issue.message}`).sort()).toEqual(
      [
        'colour: unknown key',
        'engine.maxConsecutiveErrors: expected number, received string "lots"',
        'feed.synthetic.tiks: unknown key',
        'feed.synthetic.seed: expected integer, received number 1.5',
        'killSwitch.startEngaged: expected boolean, received string "yes"',
        'journal.maxFiles: expected number, received string "ten" (from the command line)',
        'journal.rotate: unknown key (from the command line)',
        'log.level: expected one of "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent", received string "verbose" (from LIVEGATE_LOG_LEVEL)',
      ].sort(),
    );
    for (const issue of issues)
      expect(error.message).toContain(`\n${issue.path}: ${issue.message}`);
  });

  it('names the file and line of a YAML syntax error', () => {
    const path = configFile('engine:\n  id: a\nfeed: [synthetic\nlog:\n  level: info\n');
    const error = failure({ path });
    expect(error.code).toBe('ERR_CONFIG_UNREADABLE');
    expect(error.message).toContain(`${path}:`);
    expect(error.details).toMatchObject({ path, line: expect.any(Number) as number });
    expect(error.message).toContain(`${path}:${String(error.details?.line)}:`);

    const duplicate = failure({ path: configFile('log:\n  level: info\nlog:\n  level: warn\n') });
    expect(duplicate.details).toMatchObject({ line: 3 });
  });

  it('names a missing or unreadable file', () => {
    const missing = join(directory, 'missing.yaml');
    const error = failure({ path: missing });
    expect(error.code).toBe('ERR_CONFIG_UNREADABLE');
    expect(error.message).toContain(missing);
    expect(failure({ path: directory }).code).toBe('ERR_CONFIG_UNREADABLE');
    expect(failure({ env: { LIVEGATE_CONFIG: 'nope.yaml' } }).message).toContain('nope.yaml');
  });

  it('requires feed.csv.path when feed.kind is csv', () => {
    const error = failure({ path: configFile('feed:\n  kind: csv\n') });
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.details?.issues).toEqual([
      { path: 'feed.csv.path', message: 'required when feed.kind is csv' },
    ]);
  });

  it('resolves paths in the file against its directory, and others against the cwd', () => {
    const path = configFile(
      'stateDir: state\nfeed:\n  kind: csv\n  csv:\n    path: data/ticks.csv\nstrategy:\n  module: ./strategies/mine.js\n',
      'nested.yaml',
    );
    const fromFile = load({ path, cwd: '/somewhere/else' });
    expect(fromFile.stateDir).toBe('/somewhere/else/state');
    expect(fromFile.feed.csv.path).toBe(join(directory, 'data/ticks.csv'));
    expect(fromFile.strategy.module).toBe(join(directory, 'strategies/mine.js'));

    const fromFlags = load({
      path,
      overrides: { feed: { csv: { path: 'other.csv' } }, strategy: { module: 'lib/s.js' } },
    });
    expect(fromFlags.feed.csv.path).toBe(resolve(directory, 'other.csv'));
    expect(fromFlags.strategy.module).toBe(resolve(directory, 'lib/s.js'));
    expect(load({ overrides: { strategy: { module: 'periodic' } } }).strategy.module).toBe(
      'periodic',
    );
  });

  it('returns a deep-frozen config', () => {
    const config = load({ path: exampleFile });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.feed.synthetic.symbols)).toBe(true);
    expect(Object.isFrozen(config.strategy.options)).toBe(true);
    expect(() => {
      (config.engine as { maxConsecutiveErrors: number }).maxConsecutiveErrors = 99;
    }).toThrow(TypeError);
    // A second load is not affected by anything done to the first.
    expect(load().feed.synthetic.symbols).toEqual(['EURUSD', 'GBPUSD', 'USDJPY']);
  });
});

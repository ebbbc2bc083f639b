// Turns the strategy named in config or on the command line into a Strategy: a builtin, or a user module.

import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isLivegateError, LivegateError } from '../core/errors.js';
import type { Strategy } from '../core/ports.js';
import { MovingAverageCrossoverStrategy } from './moving-average-crossover-strategy.js';
import { OneOrderPerTickStrategy } from './one-order-per-tick-strategy.js';
import { PeriodicOrderStrategy } from './periodic-order-strategy.js';

type StrategyOptions = Record<string, unknown>;

interface BuiltinStrategy {
  /** Every option key the builtin accepts; anything else is a mistake worth stopping for. */
  readonly options: readonly string[];
  create(options: StrategyOptions): Strategy;
}

const BUILTINS = {
  'one-order-per-tick': {
    options: ['quantity', 'side'],
    create: (options) => new OneOrderPerTickStrategy(options),
  },
  'ma-crossover': {
    options: ['fast', 'slow', 'quantity'],
    create: (options) => new MovingAverageCrossoverStrategy(options),
  },
  periodic: {
    options: ['every', 'quantity'],
    create: (options) => new PeriodicOrderStrategy(options),
  },
} as const satisfies Record<string, BuiltinStrategy>;

export type BuiltinStrategyName = keyof typeof BUILTINS;

/** Names accepted in place of a module path, for `--help` and error messages. */
export const BUILTIN_STRATEGIES: readonly BuiltinStrategyName[] = Object.freeze(
  Object.keys(BUILTINS) as BuiltinStrategyName[],
);

/**
 * `spec` is a builtin name or a module path (absolute, or relative to `baseDirectory`). A module
 * may export `createStrategy(options)`, or default-export a class (constructed with `options`),
 * a factory function, or a ready strategy object (which then takes no options).
 */
export async function loadStrategy(
  spec: string,
  options: StrategyOptions,
  baseDirectory = process.cwd(),
): Promise<Strategy> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw loadFailed(spec, 'options must be an object of option names to values');
  }
  const strategy = Object.hasOwn(BUILTINS, spec)
    ? createBuiltin(spec, BUILTINS[spec as BuiltinStrategyName], options)
    : await createFromModule(spec, resolveModulePath(spec, baseDirectory), options);
  const problem = describeShapeProblem(strategy);
  if (problem !== null) throw loadFailed(spec, problem);
  return strategy as Strategy;
}

function createBuiltin(spec: string, builtin: BuiltinStrategy, options: StrategyOptions): Strategy {
  const unknown = Object.keys(options).filter((key) => !builtin.options.includes(key));
  if (unknown.length > 0) {
    const accepted = builtin.options.join(', ');
    throw loadFailed(spec, `unknown option ${quoteAll(unknown)} (accepted: ${accepted})`);
  }
  try {
    return builtin.create(options);
  } catch (error) {
    throw loadFailed(spec, messageOf(error), error);
  }
}

function resolveModulePath(spec: string, baseDirectory: string): string {
  return isAbsolute(spec) ? spec : resolve(baseDirectory, spec);
}

async function createFromModule(
  spec: string,
  path: string,
  options: StrategyOptions,
): Promise<unknown> {
  try {
    if (!(await stat(path)).isFile()) throw loadFailed(spec, `${path} is not a file`);
  } catch (error) {
    if (isLivegateError(error)) throw error;
    const builtins = BUILTIN_STRATEGIES.join(', ');
    throw loadFailed(spec, `not a builtin (${builtins}) and no module file at ${path}`, error);
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw loadFailed(spec, `importing ${path} failed: ${messageOf(error)}`, error);
  }
  return instantiate(spec, module, options);
}

async function instantiate(
  spec: string,
  module: Record<string, unknown>,
  options: StrategyOptions,
): Promise<unknown> {
  const { createStrategy, default: exported } = module;
  if (typeof createStrategy !== 'function' && typeof exported !== 'function') {
    if (typeof exported === 'object' && exported !== null) {
      const given = Object.keys(options);
      if (given.length > 0) {
        const problem = `the module exports a ready strategy object, which takes no options (got ${quoteAll(given)})`;
        throw loadFailed(spec, problem);
      }
      return exported;
    }
    throw loadFailed(
      spec,
      'the module exports neither createStrategy(options) nor a default strategy object, class or factory',
    );
  }
  try {
    if (typeof createStrategy === 'function') return await (createStrategy as Factory)(options);
    const callable = exported as Factory & (new (options: StrategyOptions) => unknown);
    return looksLikeClass(callable) ? new callable(options) : await callable(options);
  } catch (error) {
    throw loadFailed(spec, `creating the strategy failed: ${messageOf(error)}`, error);
  }
}

type Factory = (options: StrategyOptions) => unknown;

function looksLikeClass(candidate: Factory): boolean {
  const prototype = (candidate as { prototype?: { onTick?: unknown } }).prototype;
  return (
    /^class[\s{]/.test(Function.prototype.toString.call(candidate)) ||
    typeof prototype?.onTick === 'function'
  );
}

function describeShapeProblem(candidate: unknown): string | null {
  if (typeof candidate !== 'object' || candidate === null) {
    return `the module produced ${candidate === null ? 'null' : typeof candidate}, not a strategy object`;
  }
  const { name, onTick, close } = candidate as Record<string, unknown>;
  if (typeof name !== 'string' || name.length === 0)
    return 'the strategy has no name (a non-empty string)';
  if (typeof onTick !== 'function') return `the strategy "${name}" has no onTick function`;
  if (close !== undefined && typeof close !== 'function') {
    return `the strategy "${name}" has a close that is not a function`;
  }
  return null;
}

function loadFailed(spec: string, problem: string, cause?: unknown): LivegateError {
  return new LivegateError(
    'ERR_STRATEGY_LOAD_FAILED',
    `cannot load strategy "${spec}": ${problem}`,
    {
      cause,
      details: { spec },
    },
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function quoteAll(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(', ');
}

// loadStrategy builds builtins from their options and user modules in every supported shape, and
// turns each way of getting it wrong into ERR_STRATEGY_LOAD_FAILED naming the spec and the problem.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLivegateError } from '../../src/core/errors.js';
import type { Tick } from '../../src/core/types.js';
import { MovingAverageCrossoverStrategy } from '../../src/strategies/moving-average-crossover-strategy.js';
import { OneOrderPerTickStrategy } from '../../src/strategies/one-order-per-tick-strategy.js';
import { PeriodicOrderStrategy } from '../../src/strategies/periodic-order-strategy.js';
import { BUILTIN_STRATEGIES, loadStrategy } from '../../src/strategies/load-strategy.js';
import { FakeStrategyContext } from './fake-strategy-context.js';

const MODULES: Record<string, string> = {
  'default-object.mjs': `export default { name: 'object', onTick: () => null };`,
  'default-class.mjs': `export default class { name = 'class'; constructor(options) { this.options = options; } onTick() { return null; } }`,
  'default-factory.mjs': `export default (options) => ({ name: 'factory', options, onTick: () => null });`,
  'create-strategy.mjs': `export async function createStrategy(options) { return { name: 'created', options, onTick: () => null }; }`,
  'no-on-tick.mjs': `export default { name: 'broken' };`,
  'no-name.mjs': `export default { onTick: () => null };`,
  'bad-close.mjs': `export default { name: 'x', onTick: () => null, close: 5 };`,
  'nothing.mjs': `export const unrelated = 1;`,
  'factory-returns-null.mjs': `export function createStrategy() { return null; }`,
  'constructor-throws.mjs': `export default class { constructor() { throw new Error('no API key'); } onTick() {} }`,
  'syntax-error.mjs': `export default {`,
};

let directory = '';

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'livegate-strategies-'));
  for (const [name, source] of Object.entries(MODULES))
    await writeFile(join(directory, name), source);
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function failureOf(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; details?: unknown }> {
  const outcome = await promise.then(
    () => new Error('expected loadStrategy to fail'),
    (error: unknown) => error,
  );
  expect(isLivegateError(outcome, 'ERR_STRATEGY_LOAD_FAILED')).toBe(true);
  return outcome as Error;
}

describe('loadStrategy', () => {
  it('lists the builtins for --help', () => {
    expect(BUILTIN_STRATEGIES).toEqual(['one-order-per-tick', 'ma-crossover', 'periodic']);
  });

  it('builds each builtin with its options', async () => {
    expect(await loadStrategy('one-order-per-tick', { side: 'sell' })).toBeInstanceOf(
      OneOrderPerTickStrategy,
    );
    expect(await loadStrategy('ma-crossover', { fast: 3, slow: 5, quantity: 2 })).toBeInstanceOf(
      MovingAverageCrossoverStrategy,
    );
    const periodic = await loadStrategy('periodic', { every: 1, quantity: 4 });
    expect(periodic).toBeInstanceOf(PeriodicOrderStrategy);
    const tick: Tick = { symbol: 'EURUSD', bid: 1, ask: 2, time: 0 };
    expect(periodic.onTick(tick, new FakeStrategyContext())).toMatchObject({ quantity: 4 });
  });

  it('refuses an unknown builtin option, naming it and the accepted ones', async () => {
    const failure = await failureOf(loadStrategy('periodic', { every: 10, evrey: 5 }));
    expect(failure.message).toBe(
      'cannot load strategy "periodic": unknown option "evrey" (accepted: every, quantity)',
    );
    expect(failure.details).toEqual({ spec: 'periodic' });
  });

  it('refuses a builtin option of the wrong type, keeping the cause', async () => {
    const failure = await failureOf(loadStrategy('ma-crossover', { fast: 30, slow: 10 }));
    expect(failure.message).toMatch(
      /^cannot load strategy "ma-crossover": .*"slow" must be an integer greater than fast/,
    );
    expect(isLivegateError(failure.cause, 'ERR_USAGE')).toBe(true);
  });

  it.each([
    ['default-object.mjs', {}, 'object'],
    ['default-class.mjs', { level: 3 }, 'class'],
    ['default-factory.mjs', { level: 3 }, 'factory'],
    ['create-strategy.mjs', { level: 3 }, 'created'],
  ])('loads a module that exports %s', async (file, options, name) => {
    const strategy = await loadStrategy(`./${file}`, options, directory);
    expect(strategy.name).toBe(name);
    if (Object.keys(options).length > 0) expect(strategy).toMatchObject({ options });
  });

  it('loads a module by absolute path, whatever the base directory', async () => {
    const strategy = await loadStrategy(join(directory, 'default-object.mjs'), {}, '/');
    expect(strategy.name).toBe('object');
  });

  it('loads the shipped example strategy relative to the working directory', async () => {
    const strategy = await loadStrategy('./examples/my-strategy.mjs', { threshold: 0.001 });
    expect(strategy.name).toBe('mean-reversion-example');
    const context = new FakeStrategyContext();
    expect(
      strategy.onTick({ symbol: 'EURUSD', bid: 1.1, ask: 1.1002, time: 0 }, context),
    ).toBeNull();
    // A 1% drop from the running mean is far past the 0.1% threshold: it fades the move.
    expect(
      strategy.onTick({ symbol: 'EURUSD', bid: 1.089, ask: 1.0892, time: 1 }, context),
    ).toMatchObject({
      side: 'buy',
    });
    await strategy.close?.();
  });

  it('reports a missing file, saying it is not a builtin either', async () => {
    const failure = await failureOf(loadStrategy('ma-crosover', {}, directory));
    expect(failure.message).toMatch(
      /^cannot load strategy "ma-crosover": not a builtin \(one-order-per-tick, ma-crossover, periodic\) and no module file at /,
    );
    expect(failure.cause).toMatchObject({ code: 'ENOENT' });
  });

  it.each([
    ['no-on-tick.mjs', 'the strategy "broken" has no onTick function'],
    ['no-name.mjs', 'the strategy has no name'],
    ['bad-close.mjs', 'has a close that is not a function'],
    ['nothing.mjs', 'the module exports neither createStrategy(options) nor a default'],
    ['factory-returns-null.mjs', 'the module produced null, not a strategy object'],
    ['constructor-throws.mjs', 'creating the strategy failed: no API key'],
    ['syntax-error.mjs', 'importing '],
  ])('refuses %s: %s', async (file, problem) => {
    const failure = await failureOf(loadStrategy(`./${file}`, {}, directory));
    expect(failure.message).toContain(`cannot load strategy "./${file}": `);
    expect(failure.message).toContain(problem);
  });

  it('keeps the original error as the cause when a module throws', async () => {
    const failure = await failureOf(loadStrategy('./constructor-throws.mjs', {}, directory));
    expect((failure.cause as Error).message).toBe('no API key');
  });

  it('refuses options for a module that exports a ready object, since it cannot take them', async () => {
    const failure = await failureOf(loadStrategy('./default-object.mjs', { level: 1 }, directory));
    expect(failure.message).toContain('takes no options (got "level")');
  });

  it('refuses a directory', async () => {
    const failure = await failureOf(loadStrategy(directory, {}));
    expect(failure.message).toContain('is not a file');
  });

  it('passes on errors the example module raises for unknown options', async () => {
    const failure = await failureOf(loadStrategy('./examples/my-strategy.mjs', { treshold: 1 }));
    expect(failure.message).toContain('unknown option "treshold"');
  });
});

// A few hand-written shape checks, without zod: `kill` and `status` validate a handful of small
// records once and exit, and loading zod cost them more (~25 ms) than everything else they parse.

/** One problem, `path: message`, as `describeSchemaProblems` prints zod's. */
export type Problems = string[];

/** Checks `value` at `path`, pushes what is wrong, and returns the value to keep (keys stripped). */
export type Check = (value: unknown, path: string, problems: Problems) => unknown;

const where = (path: string): string => (path === '' ? '(record)' : path);
const join = (path: string, key: string | number): string =>
  path === '' ? String(key) : `${path}.${key}`;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return typeof value;
}

function expected(what: string, value: unknown, path: string, problems: Problems): undefined {
  problems.push(
    value === undefined
      ? `${where(path)}: missing (expected ${what})`
      : `${where(path)}: expected ${what}, got ${typeName(value)}`,
  );
  return undefined;
}

/** Objects as zod takes them: not null, not an array. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** zod's record check: an object whose prototype is Object's or none. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === null || prototype === Object.prototype;
}

export function text(
  rules: { min?: number; max?: number; pattern?: RegExp; patternRule?: string } = {},
): Check {
  const { min = 0, max = Number.POSITIVE_INFINITY, pattern } = rules;
  const patternRule = rules.patternRule ?? `does not match ${String(pattern)}`;
  return (value, path, problems) => {
    if (typeof value !== 'string') return expected('string', value, path, problems);
    if (value.length < min)
      problems.push(`${where(path)}: too short, expected at least ${min} characters`);
    if (value.length > max)
      problems.push(`${where(path)}: too long, expected at most ${max} characters`);
    if (pattern !== undefined && !pattern.test(value))
      problems.push(`${where(path)}: ${patternRule}`);
    return value;
  };
}

/** A finite number (zod 4's `z.number()`: no NaN, no Infinity). */
export function finite(): Check {
  return (value, path, problems) =>
    typeof value === 'number' && Number.isFinite(value)
      ? value
      : expected('finite number', value, path, problems);
}

/** A safe integer from `min` to `max` (zod's `z.int().min(min).max(max)`). */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Check {
  return (value, path, problems) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      return expected('safe integer', value, path, problems);
    if (value < min) problems.push(`${where(path)}: ${value} is below ${min}`);
    if (value > max) problems.push(`${where(path)}: ${value} is above ${max}`);
    return value;
  };
}

/** Anything `accepts` says yes to (zod's `z.custom`). */
export function satisfies(accepts: (value: unknown) => boolean, message: string): Check {
  return (value, path, problems) => {
    if (!accepts(value)) problems.push(`${where(path)}: ${message}`);
    return value;
  };
}

export function boolean(): Check {
  return (value, path, problems) =>
    typeof value === 'boolean' ? value : expected('boolean', value, path, problems);
}

export function oneOf(values: readonly string[]): Check {
  return (value, path, problems) => {
    if (typeof value === 'string' && values.includes(value)) return value;
    problems.push(
      `${where(path)}: expected one of ${values.join(', ')}, got ${JSON.stringify(value) ?? typeName(value)}`,
    );
    return undefined;
  };
}

export function nullable(check: Check): Check {
  return (value, path, problems) => (value === null ? null : check(value, path, problems));
}

export function either(first: Check, second: Check): Check {
  return (value, path, problems) => {
    const firstProblems: Problems = [];
    const kept = first(value, path, firstProblems);
    if (firstProblems.length === 0) return kept;
    const secondProblems: Problems = [];
    const other = second(value, path, secondProblems);
    if (secondProblems.length === 0) return other;
    problems.push(...firstProblems, ...secondProblems);
    return undefined;
  };
}

export function list(item: Check): Check {
  return (value, path, problems) => {
    if (!Array.isArray(value)) return expected('array', value, path, problems);
    return value.map((entry, index) => item(entry, join(path, index), problems));
  };
}

/** zod's `z.record(keys, values)`: own enumerable keys, `__proto__` dropped. */
export function dictionary(key: Check, entry: Check): Check {
  return (value, path, problems) => {
    if (!isPlainObject(value)) return expected('object', value, path, problems);
    const kept: Record<string, unknown> = {};
    for (const name of Object.keys(value)) {
      if (name === '__proto__') continue;
      const keyProblems: Problems = [];
      key(name, join(path, name), keyProblems);
      if (keyProblems.length > 0) {
        problems.push(`${join(path, name)}: invalid key (${keyProblems.join('; ')})`);
        continue;
      }
      kept[name] = entry(value[name], join(path, name), problems);
    }
    return kept;
  };
}

/** A field that may be absent (or undefined). */
export interface Optional {
  readonly optional: Check;
}
export const optional = (check: Check): Optional => ({ optional: check });

export type Shape = Readonly<Record<string, Check | Optional>>;

/**
 * An object with exactly `shape`'s keys (`strict`: zod's strictObject, an unknown key is a
 * problem) or at least them (unknown keys dropped, as z.object does).
 */
export function object(shape: Shape, mode: 'strict' | 'strip'): Check {
  return (value, path, problems) => {
    if (!isObject(value)) return expected('object', value, path, problems);
    const kept: Record<string, unknown> = {};
    for (const [name, rule] of Object.entries(shape)) {
      const field = value[name];
      if ('optional' in rule) {
        if (field === undefined) {
          if (Object.hasOwn(value, name)) kept[name] = undefined;
          continue;
        }
        kept[name] = rule.optional(field, join(path, name), problems);
      } else kept[name] = rule(field, join(path, name), problems);
    }
    if (mode === 'strict') {
      const unknown: string[] = [];
      for (const name in value) if (!Object.hasOwn(shape, name)) unknown.push(name);
      if (unknown.length > 0) problems.push(`${where(path)}: unknown keys ${unknown.join(', ')}`);
    }
    return kept;
  };
}

/** The keys of a shape, optional ones marked `?`: what a test compares with the zod schema's. */
export function shapeKeys(shape: Shape): string[] {
  return Object.entries(shape).map(([name, rule]) => ('optional' in rule ? `${name}?` : name));
}

// How validation messages name a bad value: short, and never a dump of the whole input.

export function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (input === undefined) return 'nothing';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') {
    return `string ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}...` : input)}`;
  }
  if (typeof input === 'number' || typeof input === 'boolean') return `${typeof input} ${input}`;
  return typeof input;
}

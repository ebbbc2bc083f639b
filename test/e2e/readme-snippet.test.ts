import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

describe('README library snippet', () => {
  it('runs exactly as written and prints 100 orders, 0 blocked', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const match = /<!-- snippet: library -->\n```ts\n([\s\S]*?)```/.exec(readme);
    expect(match).not.toBeNull();
    const directory = path.resolve('test/.tmp');
    mkdirSync(directory, { recursive: true });
    const file = path.join(directory, 'readme-snippet.ts');
    writeFileSync(file, match![1]!);
    const printed: unknown[][] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(args);
    });
    try {
      await import(pathToFileURL(file).href);
    } finally {
      spy.mockRestore();
    }
    expect(printed).toEqual([[100, 0]]);
  });
});

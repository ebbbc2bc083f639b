// `livegate --help | head`: the reader closing the pipe early ends the output quietly (exit 0),
// where Node's default was an unhandled EPIPE with a stack trace and exit 1. And --help names every
// environment variable the code reads.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, CLI } from '../support/cli-harness.js';

function helpIntoClosedPipe(
  args: readonly string[],
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Like `head -1`: read one line's worth, then stop reading.
  child.stdout.once('data', () => child.stdout.destroy());
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('livegate --help into a pipe closed early', () => {
  it('lists commands, and ends quietly when the reader stops reading', async () => {
    assertBuilt();
    for (const args of [['--help'], ['status', '--help'], ['kill', '--help']]) {
      const { code, stderr } = await helpIntoClosedPipe(args);
      expect(stderr, args.join(' ')).not.toContain('EPIPE');
      expect(code, args.join(' ')).toBe(0);
    }
  });
});

/** LIVEGATE_* names in src that are not environment variables an operator sets. */
const NOT_OPERATOR_VARIABLES = new Set([
  'LIVEGATE_EVENTS', // the default NATS stream name for events
  'LIVEGATE_CLIENT_ORDER_ID', // a pattern's name
  'LIVEGATE_LOCAL_REGISTRY', // where local engines register; tests point it elsewhere
  'LIVEGATE_KILL_FIX_', // a prefix in a comment
  'LIVEGATE_KILL_VENUE_',
]);

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(directory, name));
}

describe('livegate --help names every environment variable the code reads', () => {
  it('lists each LIVEGATE_* variable in src, and docs/configuration.md does too', () => {
    assertBuilt();
    const named = new Set<string>();
    for (const file of sourceFiles('src')) {
      for (const match of readFileSync(file, 'utf8').matchAll(/LIVEGATE_[A-Z_]+/g)) {
        if (!NOT_OPERATOR_VARIABLES.has(match[0])) named.add(match[0]);
      }
    }
    const help = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    const configurationDoc = readFileSync('docs/configuration.md', 'utf8');
    const missingFromHelp = [...named].filter((name) => !help.includes(name));
    const missingFromDoc = [...named].filter((name) => !configurationDoc.includes(name));
    expect(named.size).toBeGreaterThan(10);
    expect(missingFromHelp, 'not in --help').toEqual([]);
    expect(missingFromDoc, 'not in docs/configuration.md').toEqual([]);
  });
});

// A real crash: a child process writing the journal is SIGKILLed, and every complete line must survive.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import { JOURNAL_FILE_NAME } from '../../src/adapters/sinks/jsonl-journal-sink.js';
import { scratchDirectories, waitFor } from './journal-fixtures.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = join(root, 'test/fixtures/journal-writer.mjs');
const built = join(root, 'dist/src/adapters/sinks/jsonl-journal-sink.js');

const scratch = scratchDirectories();
afterEach(() => scratch.removeAll());

/**
 * The child runs the compiled sink; testing stale output would prove nothing, so fail loudly instead.
 * (`npm test` builds first; by hand: npx tsc -p tsconfig.build.json.)
 */
function assertCompiledSinkIsFresh(): void {
  if (!existsSync(built)) {
    throw new Error(`${built} is missing: run npx tsc -p tsconfig.build.json first`);
  }
  const builtAt = statSync(built).mtimeMs;
  for (const folder of ['src/core', 'src/adapters/sinks']) {
    for (const name of readdirSync(join(root, folder))) {
      if (statSync(join(root, folder, name)).mtimeMs > builtAt) {
        throw new Error(`${folder}/${name} is newer than dist: run npx tsc -p tsconfig.build.json`);
      }
    }
  }
}

function lastFlushed(stdout: string): number {
  const matches = [...stdout.matchAll(/^flushed (\d+)$/gm)];
  return Number(matches.at(-1)?.[1] ?? 0);
}

describe('JsonlJournalSink under SIGKILL', () => {
  beforeAll(assertCompiledSinkIsFresh);

  it('keeps every complete line, including all flushed events, with at most one torn line', async () => {
    const directory = await scratch.create();
    const maxFileBytes = 128 * 1024;
    const child = spawn(process.execPath, [fixture, directory, String(maxFileBytes)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );

    await waitFor('the writer to flush 30000 events across several rotations', () => {
      if (child.exitCode !== null) throw new Error(`writer exited early: ${stderr}`);
      return lastFlushed(stdout) >= 30_000 ? true : undefined;
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const flushed = lastFlushed(stdout);

    const { events, tornLines, corruptLines } = await readJournal(directory);
    expect(stderr).toBe('');
    expect(corruptLines).toEqual([]);
    expect(tornLines).toBeLessThanOrEqual(1);
    // Gap-free from 1: nothing was lost across rotations or in the final buffer that reached the OS.
    expect(events.map((event) => event.seq)).toEqual(
      Array.from({ length: events.length }, (_, index) => index + 1),
    );
    expect(events.length).toBeGreaterThanOrEqual(flushed);

    const files = readdirSync(directory);
    expect(files.length).toBeGreaterThan(5);
    const completeLines = files
      .map((name) => readFileSync(join(directory, name), 'utf8').split('\n').length - 1)
      .reduce((total, count) => total + count, 0);
    expect(events).toHaveLength(completeLines);
    for (const name of files.filter((file) => file !== JOURNAL_FILE_NAME)) {
      expect(statSync(join(directory, name)).size).toBeLessThanOrEqual(maxFileBytes);
    }
  });
});

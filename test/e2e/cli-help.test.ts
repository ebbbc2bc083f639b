// `livegate --help | head`: the reader closing the pipe early ends the output quietly (exit 0),
// where Node's default was an unhandled EPIPE with a stack trace and exit 1.
import { spawn } from 'node:child_process';
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

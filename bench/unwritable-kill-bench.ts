// A kill with the kill-switch store unwritable: a real `livegate run` on a really full tmpfs (its
// journal set to alert, so it keeps trading), then `livegate kill`, which takes the same-host
// signal path. Measures kill issued -> engine enforcing ENGAGED, and counts orders after it.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatRow, percentiles } from './bench-stats.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/livegate.js');

interface LogLine {
  readonly event?: string;
  readonly enforcedState?: string;
}

function lines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Appends zeros until the disk refuses, halving the chunk on ENOSPC: the disk is really full. */
function fill(file: string): void {
  const fd = openSync(file, 'a');
  try {
    for (let chunk = 1024 * 1024; chunk >= 1;) {
      try {
        writeSync(fd, Buffer.alloc(chunk));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        chunk = Math.floor(chunk / 2);
      }
    }
  } finally {
    closeSync(fd);
  }
}

async function until(what: string, probe: () => boolean, ms = 15_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!probe()) {
    if (performance.now() > deadline) throw new Error(`unwritable-kill bench: no ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function oneRun(): Promise<{ engagedMs: number; ordersAfter: number; path: string }> {
  const disk = await mkdtemp(path.join(os.tmpdir(), 'livegate-full-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', disk]);
  let engine: ChildProcess | undefined;
  try {
    const config = path.join(disk, 'livegate.yaml');
    await writeFile(config, 'journal:\n  onFailure: alert\n  reserveBytes: 262144\n');
    let stdout = '';
    engine = spawn(
      process.execPath,
      [
        CLI,
        'run',
        '-c',
        config,
        '--state-dir',
        path.join(disk, 'state'),
        '--engine-id',
        'full',
        ...['--rate', '500', '--ticks', '0', '--log-level', 'debug', '--no-http'],
      ],
      {
        env: {
          ...process.env,
          LIVEGATE_CONFIG: '',
          LIVEGATE_STATE_DIR: '',
          LIVEGATE_HTTP_PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    engine.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await until('trading engine', () =>
      lines(stdout).some((line) => line.event === 'OrderSubmitted'),
    );
    fill(path.join(disk, 'filler'));
    const started = performance.now();
    const kill = spawn(
      process.execPath,
      [CLI, 'kill', '--state-dir', path.join(disk, 'state'), '--reason', 'bench', '--json'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let killOut = '';
    kill.stdout.on('data', (chunk: Buffer) => (killOut += chunk.toString()));
    // Listened for at once: the CLI may exit before the engine's log shows ENGAGED.
    const killClosed = new Promise((resolve) => kill.once('close', resolve));
    const engaged = (line: LogLine) =>
      line.event === 'KillSwitchChanged' && line.enforcedState === 'ENGAGED';
    await until('ENGAGED', () => lines(stdout).some(engaged));
    const engagedMs = performance.now() - started;
    await killClosed;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const all = lines(stdout);
    const at = all.findIndex(engaged);
    const ordersAfter = all.slice(at).filter((line) => line.event === 'OrderSubmitted').length;
    const taken = /"path":\s*"(\w+)"/.exec(killOut)?.[1] ?? 'unknown';
    return { engagedMs, ordersAfter, path: taken };
  } finally {
    engine?.kill('SIGKILL');
    execFileSync('umount', ['-l', disk]);
    await rm(disk, { recursive: true, force: true });
  }
}

export async function benchUnwritableKill(runs = 5): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('kill with the store unwritable: skipped (needs root to mount a small tmpfs)');
    return;
  }
  const results = [];
  for (let index = 0; index < runs; index++) results.push(await oneRun());
  console.log(
    formatRow(
      `kill issued (store full) -> engine ENGAGED by signal`,
      percentiles(results.map((result) => result.engagedMs)),
      'ms',
      1,
    ),
  );
  console.log(
    `  ${runs} runs: paths taken ${results.map((result) => result.path).join(', ')}; orders after ENGAGED ${results.map((result) => result.ordersAfter).join(', ')}`,
  );
}

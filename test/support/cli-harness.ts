// Runs the built `livegate` CLI as a real process (npm test builds dist/ first).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

export const CLI = path.resolve('dist/cli/livegate.js');

let checked = false;

/** The bundle exists and is not older than tsc's output it was made from (a `tsc`-only rebuild). */
export function assertBuilt(): void {
  if (checked) return;
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it first)`);
  const compiled = newestModification(path.resolve('dist/src'));
  if (compiled > statSync(CLI).mtimeMs + 1_000)
    throw new Error(
      `${CLI} is older than dist/src: run \`npm run build\` (tsc alone does not rebuild the bundle)`,
    );
  checked = true;
}

function newestModification(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestModification(full));
    else if (entry.name.endsWith('.js')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningCli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<CliResult>;
}

export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...args], {
    // Port 0: engines started side by side by tests never fight over the console's default port.
    env: {
      ...process.env,
      LIVEGATE_CONFIG: '',
      LIVEGATE_STATE_DIR: '',
      LIVEGATE_HTTP_PORT: '0',
      // One host registry per test worker: engines of test files running side by side on the
      // machine's shared servers must not count as members of each other's kills.
      LIVEGATE_LOCAL_REGISTRY: path.join(os.tmpdir(), `livegate-test-engines-${process.pid}`),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/**
 * The CLI processes a test file starts, thawed and SIGKILLed after each test (a failed assertion
 * must not leave an engine trading into the next test). Call at the file's top level.
 */
export function stoppedAfterEach(): RunningCli[] {
  const running: RunningCli[] = [];
  afterEach(async () => {
    for (const cli of running.splice(0)) {
      cli.child.kill('SIGCONT');
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
  });
  return running;
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).exited;
}

export async function scratchDirectory(prefix = 'livegate-e2e-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Polls until the condition holds (no fixed sleeps), failing with a description at the deadline. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The journal directory of the one engine that ran on a state dir (`<stateDir>/journal/<engine id>`). */
export async function onlyJournal(stateDir: string): Promise<string> {
  const engines = await readdir(path.join(stateDir, 'journal'));
  if (engines.length !== 1)
    throw new Error(`expected one engine journal, found ${engines.join(', ')}`);
  return path.join(stateDir, 'journal', engines[0]!);
}

/**
 * A fleet test's config file in `directory`: the given killSwitch keys, engines heartbeating every
 * `heartbeatIntervalMs`, no HTTP server (engines side by side would fight over the port).
 */
export async function writeFleetConfig(
  directory: string,
  killSwitch: Readonly<Record<string, unknown>>,
  heartbeatIntervalMs: number,
): Promise<string> {
  const file = path.join(directory, 'livegate.yaml');
  // One level of nesting (killSwitch.redis.*) is enough for every fleet test.
  const lines = Object.entries(killSwitch).flatMap(([key, value]) =>
    typeof value === 'object' && value !== null
      ? [`  ${key}:`, ...Object.entries(value).map(([inner, v]) => `    ${inner}: ${String(v)}`)]
      : [`  ${key}: ${String(value)}`],
  );
  const engine = ['engine:', `  heartbeatIntervalMs: ${heartbeatIntervalMs}`];
  await writeFile(
    file,
    ['killSwitch:', ...lines, ...engine, 'http:', '  enabled: false', ''].join('\n'),
  );
  return file;
}

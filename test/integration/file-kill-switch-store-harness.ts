// Shared helpers for the file store's integration tests: temp state dirs and worker processes.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { statSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../contracts/kill-switch-store.contract.js';

export { change, recordingWatcher, waitFor } from '../contracts/kill-switch-store.contract.js';

const repository = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = join(repository, 'test', 'fixtures');
const compiledStore = join(repository, 'dist/src/adapters/stores/file-kill-switch-store.js');

/**
 * Worker processes run the compiled store; testing stale output would prove nothing, so fail
 * loudly instead. (`npm test` builds first; by hand: npx tsc -p tsconfig.build.json.)
 */
export function assertCompiledStoreIsFresh(): void {
  let built: number;
  try {
    built = statSync(compiledStore).mtimeMs;
  } catch {
    throw new Error(`${compiledStore} is missing: run npx tsc -p tsconfig.build.json first`);
  }
  for (const folder of ['src/core', 'src/adapters/stores']) {
    for (const name of readdirSync(join(repository, folder))) {
      if (statSync(join(repository, folder, name)).mtimeMs > built) {
        throw new Error(`${folder}/${name} is newer than dist: run npx tsc -p tsconfig.build.json`);
      }
    }
  }
}

export interface TemporaryStateDirectory {
  readonly path: string;
  remove(): Promise<void>;
}

export async function makeStateDirectory(): Promise<TemporaryStateDirectory> {
  const path = await mkdtemp(join(tmpdir(), 'livegate-file-store-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface FixtureProcess {
  readonly child: ChildProcess;
  /** Parsed JSON lines printed so far. */
  readonly messages: Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** Resolves with the first message matching `event`, polling with a deadline. */
  message(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function startFixture(
  script: string,
  argument: unknown,
  options: SpawnOptions = {},
): FixtureProcess {
  const child = spawn(process.execPath, [join(fixtures, script), JSON.stringify(argument)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...options,
  });
  const messages: Record<string, unknown>[] = [];
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = stdout.split('\n');
    stdout = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') messages.push(JSON.parse(line) as never);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let closed = false;
  // 'close' rather than 'exit': it comes after stdout is drained, so no message is missed.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      closed = true;
      resolve({ code, signal });
    }),
  );
  const find = (event: string) => messages.find((message) => message['event'] === event);
  return {
    child,
    messages,
    exited,
    stderr: () => stderr,
    async message(event, timeoutMs = 10_000) {
      await waitFor(
        () => find(event) !== undefined || closed,
        `"${event}" from ${script}`,
        timeoutMs,
      );
      const found = find(event);
      if (found === undefined) throw new Error(`${script} exited before "${event}": ${stderr}`);
      return found;
    },
  };
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

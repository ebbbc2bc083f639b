// A stuck engine's window: a real `livegate run` whose strategy blocks its event loop across a
// durable `livegate kill` from another process; counts the orders it submitted after the kill.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJournal } from '../src/adapters/sinks/journal-reader.js';
import { FileKillSwitchStore } from '../src/adapters/stores/file-kill-switch-store.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../cli/livegate.js');
const STRATEGY = path.resolve(here, '../../test/fixtures/stalling-strategy.mjs');

async function poll<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`stuck-engine bench: no ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, LIVEGATE_CONFIG: '', LIVEGATE_STATE_DIR: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function output(child: ChildProcess): Promise<{ code: number | null; stdout: string }> {
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout })));
}

/** One run: returns the orders submitted after the kill's durable acknowledgement. */
async function oneRun(stallMs: number): Promise<{ after: number; denied: number }> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-stuck-'));
  const stallFile = path.join(stateDir, 'stall-now');
  const engine = run(
    [
      'run',
      '--state-dir',
      stateDir,
      '--engine-id',
      'stuck',
      '--strategy',
      STRATEGY,
      '--rate',
      '500',
      '--ticks',
      '0',
      '--no-http',
    ],
    { LIVEGATE_TEST_STALL_FILE: stallFile, LIVEGATE_TEST_STALL_MS: String(stallMs) },
  );
  const exited = output(engine);
  const store = new FileKillSwitchStore({ stateDirectory: stateDir });
  try {
    await poll('trading engine', async () => {
      const report = (await store.listEngineReports())[0];
      return report !== undefined && Number(report.stats.ordersSubmitted) > 2 ? true : undefined;
    });
    await writeFile(stallFile, 'stall');
    await poll('stall', () => Promise.resolve(existsSync(stallFile) ? undefined : true));
    const kill = await output(
      run(['kill', '--state-dir', stateDir, '--reason', 'bench', '--timeout', '200', '--json']),
    );
    const durableAt = Date.parse((JSON.parse(kill.stdout) as { durableAt: string }).durableAt);
    await poll('the engine enforcing the kill', async () => {
      const report = (await store.listEngineReports())[0];
      return report?.enforcedState === 'ENGAGED' ? true : undefined;
    });
    engine.kill('SIGTERM');
    await exited;
    const { events } = await readJournal(path.join(stateDir, 'journal', 'stuck'));
    const after = events.filter(
      (event) => event.type === 'OrderSubmitted' && event.time > durableAt,
    );
    const denied = events.filter(
      (event) => event.type === 'OrderDenied' && event.code === 'KILL_SWITCH_STATE_STALE',
    );
    return { after: after.length, denied: denied.length };
  } finally {
    engine.kill('SIGKILL');
    await store.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

export async function benchStuckEngine(runs = 5, stallMs = 1_500): Promise<void> {
  const results: { after: number; denied: number }[] = [];
  for (let index = 0; index < runs; index++) results.push(await oneRun(stallMs));
  const after = results.map((result) => result.after);
  const denied = results.map((result) => result.denied);
  console.log(
    `stuck engine (strategy blocks its loop ${stallMs} ms across a durable kill), ${runs} runs: ` +
      `orders submitted after the kill ${after.join(', ')} (total ${after.reduce((a, b) => a + b, 0)}); ` +
      `orders denied KILL_SWITCH_STATE_STALE ${denied.join(', ')}`,
  );
}

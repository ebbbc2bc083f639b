// `livegate kill`, `reset` and `status` wall time on the embedded file store (process start to
// exit), beside `node -e 0` in the same run: in an emergency, start-up is most of a kill.

import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatRow, percentiles } from './bench-stats.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/livegate.js');
const RUNS = Number(process.env.LIVEGATE_CLI_RUNS ?? 30);

function wallMs(args: readonly string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(
      `cli bench: ${args.join(' ')} exited ${result.status}: ${result.stderr.toString()}`,
    );
  }
  return elapsed;
}

export async function benchCliWall(): Promise<void> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-cli-bench-'));
  try {
    const common = ['--state-dir', stateDir];
    wallMs([CLI, 'init', ...common, '--reason', 'bench', '--by', 'bench']);
    // Warm the page cache and, on Node 22+, the compile cache, as a second command would find them.
    wallMs([CLI, 'status', ...common]);
    const samples = { node: [] as number[], kill: [] as number[], reset: [] as number[] };
    const status: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      samples.node.push(wallMs(['-e', '0']));
      samples.kill.push(wallMs([CLI, 'kill', ...common, '--reason', `bench ${run}`]));
      status.push(wallMs([CLI, 'status', ...common]));
      samples.reset.push(wallMs([CLI, 'reset', ...common, '--reason', 'bench', '--by', 'bench']));
    }
    console.log(
      `\nCLI wall time, file store, no engine (process start -> exit, ${RUNS} runs each, node ${process.version}):`,
    );
    console.log(formatRow('node -e 0', percentiles(samples.node), 'ms', 1));
    console.log(formatRow('livegate kill', percentiles(samples.kill), 'ms', 1));
    console.log(formatRow('livegate status', percentiles(status), 'ms', 1));
    console.log(formatRow('livegate reset', percentiles(samples.reset), 'ms', 1));
    const over = percentiles(samples.kill).p50 - percentiles(samples.node).p50;
    console.log(`  kill p50 is node -e 0 + ${over.toFixed(1)} ms`);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchCliWall();

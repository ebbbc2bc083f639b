// `livegate kill`, `reduce`, `reset` and `status` on the embedded file store (process start to
// exit), beside `node -e 0` in the same run: in an emergency, start-up is most of a kill. Wall
// time, then CPU time (user + sys), which a machine loaded by other work inflates far less.

import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatRow, percentiles } from './bench-stats.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/livegate.js');
const RUNS = Number(process.env.LIVEGATE_CLI_RUNS ?? 30);
/** The issue 13 target for kill/reduce/reset/status, wall, on the 2-vCPU test machine. */
const TARGET_MS = 100;

type Label = 'node -e 0' | 'kill' | 'status' | 'reduce' | 'reset';

function commands(stateDir: string, run: number): ReadonlyArray<[Label, readonly string[]]> {
  const common = ['--state-dir', stateDir];
  return [
    ['node -e 0', ['-e', '0']],
    ['kill', [CLI, 'kill', ...common, '--reason', `bench ${run}`]],
    ['status', [CLI, 'status', ...common]],
    ['reduce', [CLI, 'reduce', ...common, '--reason', `bench ${run}`]],
    ['reset', [CLI, 'reset', ...common, '--reason', 'bench', '--by', 'bench']],
  ];
}

function checked(args: readonly string[], result: ReturnType<typeof spawnSync>): void {
  if (result.status !== 0) {
    throw new Error(
      `cli bench: ${args.join(' ')} exited ${result.status}: ${String(result.stderr)}`,
    );
  }
}

function wallMs(args: readonly string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = performance.now() - started;
  checked(args, result);
  return elapsed;
}

/**
 * The child's user + sys CPU in ms, as the shell's `times` reports it after the child exits
 * (clock ticks, usually 10 ms: the report gives the mean over all runs, not percentiles).
 */
function cpuMs(args: readonly string[]): number {
  const result = spawnSync(
    '/bin/sh',
    ['-c', '"$@" >/dev/null; times', 'sh', process.execPath, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  checked(args, result);
  // Second line: the children's user and sys, e.g. `0m0.080000s 0m0.020000s`.
  const children = String(result.stdout).trim().split('\n').at(-1) ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(
    (match) => Number(match[1]) * 60 + Number(match[2]),
  );
  return (seconds.reduce((sum, value) => sum + value, 0) || Number.NaN) * 1000;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

export async function benchCliWall(): Promise<void> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-cli-bench-'));
  try {
    wallMs([CLI, 'init', '--state-dir', stateDir, '--reason', 'bench', '--by', 'bench']);
    // Warm the page cache and, on Node 22+, the compile cache, as a second command would find them.
    wallMs([CLI, 'status', '--state-dir', stateDir]);
    const wall = new Map<Label, number[]>();
    const cpu = new Map<Label, number[]>();
    for (let run = 0; run < RUNS; run++) {
      for (const [label, args] of commands(stateDir, run)) {
        wall.set(label, [...(wall.get(label) ?? []), wallMs(args)]);
      }
    }
    for (let run = 0; run < RUNS; run++) {
      for (const [label, args] of commands(stateDir, run)) {
        cpu.set(label, [...(cpu.get(label) ?? []), cpuMs(args)]);
      }
    }
    console.log(
      `\nCLI wall time, file store, no engine (process start -> exit, ${RUNS} runs each, interleaved, node ${process.version}, load ${os.loadavg()[0]?.toFixed(1)} on ${os.availableParallelism()} CPUs):`,
    );
    for (const [label, samples] of wall) {
      console.log(
        formatRow(
          label === 'node -e 0' ? label : `livegate ${label}`,
          percentiles(samples),
          'ms',
          1,
        ),
      );
    }
    const nodeWall = percentiles(wall.get('node -e 0') ?? []).p50;
    const nodeCpu = mean(cpu.get('node -e 0') ?? []);
    console.log(`CLI CPU time (user + sys, mean of ${RUNS} runs; less sensitive to other load):`);
    for (const [label, samples] of cpu) {
      const over =
        label === 'node -e 0' ? '' : `  (node -e 0 + ${(mean(samples) - nodeCpu).toFixed(0)} ms)`;
      console.log(`  ${label.padEnd(10)} ${mean(samples).toFixed(0).padStart(5)} ms${over}`);
    }
    const killWall = percentiles(wall.get('kill') ?? []).p50;
    console.log(
      `  kill p50 is node -e 0 + ${(killWall - nodeWall).toFixed(1)} ms wall; target ${TARGET_MS} ms wall: ${killWall <= TARGET_MS ? 'met' : 'NOT met'} in this run`,
    );
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchCliWall();

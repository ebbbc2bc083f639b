// `npm run bench:fleet`: a kill confirmed by a fleet of real `livegate run` processes on NATS.
// N engines (10, 30, 100 by default; LIVEGATE_FLEET_SIZES overrides) trade at a low tick rate on
// the machine's nats-server (LIVEGATE_NATS_URL, default nats://127.0.0.1:4222); each size runs
// kill/reset cycles with the real CLI and reports kill issued -> every engine confirmed.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { NatsKillSwitchStore } from '../src/adapters/stores/nats-kill-switch-store.js';
import { formatRow, percentiles } from './bench-stats.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/livegate.js');
const NATS_URL = process.env.LIVEGATE_NATS_URL ?? 'nats://127.0.0.1:4222';
const SIZES = (process.env.LIVEGATE_FLEET_SIZES ?? '10,30,100').split(',').map(Number);
const CYCLES = Number(process.env.LIVEGATE_FLEET_CYCLES ?? 8);
/**
 * The state lease and poll interval of the engines (unset = the product defaults, 500 ms / 250 ms).
 * An idle engine's cost is mostly its store reads (one per scope every leaseMs / 4): a fleet of
 * 100 on one 2-vCPU host needs a longer lease to fit, which is a setting an operator can choose.
 */
const LEASE_MS = process.env.LIVEGATE_FLEET_LEASE_MS;
const POLL_MS = process.env.LIVEGATE_FLEET_POLL_MS;
/** Engines started at once: 100 node processes starting together on 2 vCPUs take a minute. */
const START_BATCH = 10;

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
}

function runCli(args: readonly string[]): Promise<CliResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) =>
      resolve({ code, stdout, stderr, wallMs: performance.now() - started }),
    ),
  );
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number) {
  const deadline = performance.now() + ms;
  for (;;) {
    // A listing that times out on a saturated machine is asked again, until the deadline.
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`fleet bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Confirmed {
  readonly durableAfterMs: number;
  readonly confirmations: {
    readonly confirmed: readonly unknown[];
    readonly missing: readonly unknown[];
    readonly waitedMs: number;
  };
}

interface SizeResult {
  readonly engines: number;
  readonly wallMs: number[];
  readonly waitedMs: number[];
  readonly listingMs: number[];
  /** CPU of one engine between kills, in % of one core (Linux /proc; NaN elsewhere). */
  readonly idleCorePercent: number;
  /** CPU all engines together spent on one kill + reset, above their idle cost (ms). */
  readonly cpuPerCycleMs: number;
}

/** Seconds of CPU (user + system) the processes used so far, from /proc/PID/stat. */
async function cpuSecondsOf(processes: readonly ChildProcess[]): Promise<number> {
  const ticksPerSecond = 100; // USER_HZ on Linux
  let ticks = 0;
  for (const child of processes) {
    const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) return Number.NaN;
    // Fields after the ")" that closes the command name: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / ticksPerSecond;
}

async function benchSize(engines: number, directory: string): Promise<SizeResult> {
  const namespace = `fleetbench${engines}x${randomBytes(3).toString('hex')}`;
  const config = path.join(directory, `fleet-${engines}.yaml`);
  await writeFile(
    config,
    [
      'killSwitch:',
      '  store: nats',
      `  url: ${NATS_URL}`,
      `  namespace: ${namespace}`,
      ...(LEASE_MS === undefined ? [] : [`  leaseMs: ${LEASE_MS}`]),
      ...(POLL_MS === undefined ? [] : [`  pollIntervalMs: ${POLL_MS}`]),
      'engine:',
      '  heartbeatIntervalMs: 1000',
      'journal:',
      '  enabled: false',
      'http:',
      '  enabled: false',
      '',
    ].join('\n'),
  );
  const common = ['--config', config, '--state-dir', path.join(directory, `cli-${engines}`)];
  const store = new NatsKillSwitchStore({ servers: NATS_URL, namespace });
  const running: ChildProcess[] = [];
  const stderrOf = new Map<number, string>();
  try {
    const init = await runCli(['init', ...common, '--reason', 'fleet bench', '--by', 'bench']);
    if (init.code !== 0) throw new Error(`fleet bench: init failed: ${init.stderr}`);
    for (let index = 0; index < engines; index++) {
      const stateDir = path.join(directory, `engine-${engines}-${index}`);
      const child = spawn(
        process.execPath,
        [
          CLI,
          ...['run', '--config', config, '--state-dir', stateDir],
          ...['--engine-id', `fleet-${index}`, '--strategy', 'one-order-per-tick'],
          ...['--rate', '2', '--ticks', '0', '--log-level', 'warn'],
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      // The last of each engine's stderr, to say why an engine is not SAFE.
      child.stderr?.on('data', (chunk: Buffer) => {
        stderrOf.set(index, ((stderrOf.get(index) ?? '') + chunk.toString()).slice(-600));
      });
      running.push(child);
      if ((index + 1) % START_BATCH === 0) {
        await until(
          `${index + 1} engines reporting`,
          async () => ((await store.listEngineReports()).length > index ? true : undefined),
          120_000,
        );
      }
    }
    let lastSeen = 'no listing yet';
    await until(
      `all ${engines} engines SAFE`,
      async () => {
        const reports = await store.listEngineReports();
        const notSafe = reports.filter((r) => r.enforcedState !== 'SAFE');
        const exited = running.filter((child) => child.exitCode !== null).length;
        lastSeen = `${reports.length} reporting, ${exited} exited, not SAFE: ${
          notSafe
            .map(
              (r) =>
                `${r.engineId} ${r.enforcedState}${r.failClosed ? ' fail-closed' : ''} ${JSON.stringify(r.scopes)}: ${stderrOf.get(Number(r.engineId.slice('fleet-'.length))) ?? ''}`,
            )
            .join('; ') || 'none'
        }`;
        return reports.length === engines && notSafe.length === 0 ? true : undefined;
      },
      120_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message} (last seen: ${lastSeen})`);
    });
    const cpuBefore = await cpuSecondsOf(running);
    const idleStarted = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const idleCorePercent =
      (((await cpuSecondsOf(running)) - cpuBefore) / ((performance.now() - idleStarted) / 1000)) *
      (100 / engines);
    const listingMs: number[] = [];
    for (let sample = 0; sample < 20; sample++) {
      const started = performance.now();
      await store.listEngineReports();
      listingMs.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const wallMs: number[] = [];
    const waitedMs: number[] = [];
    const cyclesCpuBefore = await cpuSecondsOf(running);
    const cyclesStarted = performance.now();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const kill = await runCli([
        ...['kill', ...common, '--reason', `cycle ${cycle}`, '--by', 'bench'],
        ...['--timeout', '30000', '--json'],
      ]);
      if (kill.code !== 0) throw new Error(`fleet bench: kill exited ${kill.code}: ${kill.stderr}`);
      const result = JSON.parse(kill.stdout) as Confirmed;
      if (result.confirmations.confirmed.length !== engines) {
        throw new Error(
          `fleet bench: ${result.confirmations.confirmed.length}/${engines} confirmed`,
        );
      }
      wallMs.push(kill.wallMs);
      waitedMs.push(result.durableAfterMs + result.confirmations.waitedMs);
      const reset = await runCli([
        ...['reset', ...common, '--reason', `cycle ${cycle} over`, '--by', 'bench'],
        ...['--timeout', '30000'],
      ]);
      if (reset.code !== 0) throw new Error(`fleet bench: reset exited ${reset.code}`);
    }
    const cyclesSeconds = (performance.now() - cyclesStarted) / 1000;
    const engineCpuSeconds = (await cpuSecondsOf(running)) - cyclesCpuBefore;
    // What the engines spent on the kills and resets, over what they spend idle in that time.
    const cpuPerCycleMs =
      ((engineCpuSeconds - (idleCorePercent / 100) * engines * cyclesSeconds) * 1000) / CYCLES;
    return { engines, wallMs, waitedMs, listingMs, idleCorePercent, cpuPerCycleMs };
  } finally {
    for (const child of running) child.kill('SIGKILL');
    await store.close();
    const connection = await connect({ servers: NATS_URL });
    const manager = await jetstreamManager(connection);
    await manager.streams.delete(`KV_${namespace}_killswitch`).catch(() => undefined);
    await connection.close();
  }
}

async function main(): Promise<void> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-fleet-bench-'));
  console.log(
    `fleet kill on NATS (${NATS_URL}): real \`livegate run\` processes at 2 ticks/s, ${CYCLES} kill/reset cycles per size, lease ${LEASE_MS ?? 'default'} ms, poll ${POLL_MS ?? 'default'} ms; ${os.cpus().length} vCPUs, node ${process.version}, ${new Date().toISOString()}`,
  );
  console.log(
    `${''.padEnd(44)}${'p50'.padStart(14)}${'p99'.padStart(14)}${'p99.9'.padStart(14)}${'max'.padStart(14)}`,
  );
  const results: SizeResult[] = [];
  try {
    for (const engines of SIZES) {
      const result = await benchSize(engines, directory);
      results.push(result);
      console.log(
        formatRow(
          `${engines} engines: kill CLI start -> exit (wall)`,
          percentiles(result.wallMs),
          'ms',
          0,
        ),
      );
      console.log(
        formatRow(
          `${engines} engines: write + all confirmed`,
          percentiles(result.waitedMs),
          'ms',
          0,
        ),
      );
      console.log(
        `  ${engines} engines: one idle engine uses ${result.idleCorePercent.toFixed(2)} % of a core; one kill + reset costs the engines ${result.cpuPerCycleMs.toFixed(0)} ms of CPU together (${(result.cpuPerCycleMs / engines).toFixed(1)} ms each)`,
      );
      console.log(
        formatRow(
          `${engines} engines: one listing of the reports`,
          percentiles(result.listingMs),
          'ms',
          1,
        ),
      );
    }
    const base = results[0];
    if (base !== undefined) {
      for (const result of results) {
        const ratio =
          percentiles(result.waitedMs).p50 / Math.max(1, percentiles(base.waitedMs).p50);
        console.log(
          `  ${result.engines} engines: confirmed p50 ${ratio.toFixed(2)}x the ${base.engines}-engine figure for ${(result.engines / base.engines).toFixed(1)}x the engines`,
        );
      }
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

await main();

// `npm run bench`: gate cost, engine throughput and latency against a bare loop, and cross-process kill propagation.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PaperBroker } from '../src/adapters/brokers/paper-broker.js';
import { SyntheticMarketFeed } from '../src/adapters/feeds/synthetic-market-feed.js';
import { JsonlJournalSink } from '../src/adapters/sinks/jsonl-journal-sink.js';
import { FileKillSwitchStore } from '../src/adapters/stores/file-kill-switch-store.js';
import { MemoryKillSwitchStore } from '../src/adapters/stores/memory-kill-switch-store.js';
import { systemClock } from '../src/core/clock.js';
import type { RunSummary } from '../src/core/events.js';
import type { Tick } from '../src/core/types.js';
import { LiveEngine } from '../src/engine/live-engine.js';
import { KillSwitch } from '../src/killswitch/kill-switch.js';
import { engageDecision, resetDecision } from '../src/killswitch/transitions.js';
import { PeriodicOrderStrategy } from '../src/strategies/periodic-order-strategy.js';
import { createRiskWiring } from '../src/cli/risk-wiring.js';
import { riskSchema } from '../src/config/risk-schema.js';
import { formatRow, percentiles } from './bench-stats.js';
import { benchCliWall } from './cli-wall-bench.js';
import { benchControlPlane } from './control-plane-bench.js';
import { benchFixOrderFile } from './fix-order-file-bench.js';
import { benchPreTrade } from './pre-trade-bench.js';
import { benchStuckEngine } from './stuck-engine-bench.js';
import { benchUnwritableKill } from './unwritable-kill-bench.js';

const TICKS = Number(process.env.LIVEGATE_BENCH_TICKS ?? 2_000_000);
const CYCLES = Number(process.env.LIVEGATE_BENCH_CYCLES ?? 200);
const BATCH = 256;

async function pregeneratedBatches(count: number): Promise<Tick[][]> {
  const batches: Tick[][] = [];
  let current: Tick[] = [];
  const feed = new SyntheticMarketFeed({ count, rate: 0, symbols: ['EURUSD', 'GBPUSD', 'USDJPY'] });
  for await (const item of feed.ticks()) {
    for (const tick of Array.isArray(item) ? (item as readonly Tick[]) : [item as Tick]) {
      current.push(tick);
      if (current.length === BATCH) {
        batches.push(current);
        current = [];
      }
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

async function gateCheckCost(): Promise<void> {
  const switches = [
    await KillSwitch.open(new MemoryKillSwitchStore(), { actor: 'bench-a' }),
    await KillSwitch.open(new MemoryKillSwitchStore(), { actor: 'bench-b' }),
  ] as const;
  const chunk = 100_000;
  const samples: number[] = [];
  let passed = 0;
  for (let round = 0; round < 300; round++) {
    const started = performance.now();
    for (let index = 0; index < chunk; index++) {
      // Two switches alternate so the load cannot be hoisted out of the loop.
      if (switches[index & 1]!.level !== 2) passed++;
    }
    samples.push(((performance.now() - started) * 1e6) / chunk);
  }
  if (passed === 0) throw new Error('gates never passed');
  console.log(
    formatRow('gate check (per check, 100k-check chunks)', percentiles(samples.slice(50)), 'ns', 3),
  );
  // Gate 3 as the order router runs it: the level, then the lease (one clock read, one compare).
  const leased: number[] = [];
  for (let round = 0; round < 300; round++) {
    const started = performance.now();
    for (let index = 0; index < chunk; index++) {
      const killSwitch = switches[index & 1]!;
      if (killSwitch.level !== 2 && systemClock.monotonic() <= killSwitch.leaseExpiresAt + 1e12)
        passed++;
    }
    leased.push(((performance.now() - started) * 1e6) / chunk);
  }
  console.log(
    formatRow('gate 3 with the state lease (per order)', percentiles(leased.slice(50)), 'ns', 3),
  );
  // And the live limits' lease: the same clock read, one more compare (LIMITS_STATE_STALE).
  const limitsLeases = [
    { leaseExpiresAt: Number.POSITIVE_INFINITY },
    { leaseExpiresAt: Number.MAX_VALUE },
  ] as const;
  const both: number[] = [];
  for (let round = 0; round < 300; round++) {
    const started = performance.now();
    for (let index = 0; index < chunk; index++) {
      const killSwitch = switches[index & 1]!;
      if (killSwitch.level === 2) continue;
      const now = systemClock.monotonic();
      if (now <= killSwitch.leaseExpiresAt + 1e12 && now <= limitsLeases[index & 1]!.leaseExpiresAt)
        passed++;
    }
    both.push(((performance.now() - started) * 1e6) / chunk);
  }
  console.log(
    formatRow('gate 3 with both leases (per order)', percentiles(both.slice(50)), 'ns', 3),
  );
  for (const killSwitch of switches) killSwitch.close();
}

/** Every pre-trade check on, limits that never deny this load, and a monitor with every rule. */
const BENCH_RISK = {
  preTrade: {
    defaults: {
      lotSize: 1,
      maxQuantity: 1_000,
      tickSize: 0.00001,
      maxOrderNotional: 1_000_000,
      maxPosition: 1_000,
      collarPercent: 5,
      maxOrdersPerSecond: 1_000_000,
      burst: 1_000_000,
    },
    symbols: { EURUSD: {}, GBPUSD: {}, USDJPY: {} },
    maxGrossExposure: 1_000_000,
    maxOpenOrders: 1_000,
    maxOrdersPerSecond: 1_000_000,
    burst: 1_000_000,
  },
  monitor: {
    rules: {
      dailyLoss: { limit: 1e9 },
      maxDrawdown: { limit: 1e9 },
      positionLimit: { limit: 1e9 },
      orderRate: { limit: 1e9, windowMs: 1000 },
      rejectRate: { limit: 1, windowMs: 1000, minOrders: 1e9 },
      staleFeed: { limitMs: 60_000 },
      latencyP99: { action: 'alert', limitMicros: 1e9, windowMs: 1000 },
    },
  },
};

async function runEngine(
  batches: Tick[][],
  journalDirectory: string,
  withRisk = false,
): Promise<RunSummary> {
  const store = new FileKillSwitchStore({ stateDirectory: journalDirectory });
  const killSwitch = await KillSwitch.open(store, { actor: 'bench' });
  const journal = new JsonlJournalSink({
    directory: path.join(journalDirectory, 'journal'),
    runId: 'bench',
  });
  const risk = withRisk
    ? createRiskWiring(riskSchema.parse(BENCH_RISK), killSwitch, 'bench')
    : undefined;
  const engine = new LiveEngine({
    killSwitch,
    strategy: new PeriodicOrderStrategy({ every: 100 }),
    broker: new PaperBroker(),
    engineId: 'bench',
    sinks: [journal],
    preTradeRisk: risk?.preTradeRisk,
    tickObservers: risk?.tickObservers ?? [],
  });
  risk?.bind(engine);
  const summary = await engine.run(batches);
  risk?.stop();
  if (withRisk && summary.ordersDenied > 0) throw new Error('bench risk limits denied orders');
  killSwitch.close();
  await journal.close();
  await store.close();
  return summary;
}

/** The floor: the same `for await` over the same batches, doing the least work a consumer can. */
async function bareLoop(batches: Iterable<Tick[]> | AsyncIterable<Tick[]>): Promise<number> {
  const started = performance.now();
  let checksum = 0;
  let count = 0;
  for await (const batch of batches) {
    for (let index = 0; index < batch.length; index++) {
      checksum += batch[index]!.bid;
      count++;
    }
  }
  if (checksum === 0) throw new Error('empty feed');
  return (count * 1000) / (performance.now() - started);
}

async function engineThroughput(scratch: string): Promise<void> {
  const batches = await pregeneratedBatches(TICKS);
  await runEngine(batches.slice(0, 400), path.join(scratch, 'warmup'));
  await bareLoop(batches);
  const floor = await bareLoop(batches);
  const summary = await runEngine(batches, path.join(scratch, 'engine'));
  await runEngine(batches.slice(0, 400), path.join(scratch, 'warmup-risk'), true);
  const withRisk = await runEngine(batches, path.join(scratch, 'engine-risk'), true);
  console.log(
    `bare loop over the same ticks (the floor): ${Math.round(floor).toLocaleString('en-US')} ticks/s`,
  );
  printEngine('engine', summary, floor);
  printEngine('engine + pre-trade chain + risk monitor', withRisk, floor);
  await benchControlPlane(batches);
}

function printEngine(label: string, summary: RunSummary, floor: number): void {
  const latency = summary.latencyNs;
  console.log(
    `${label}, unpaced, orders on 1% of ticks, journal on: ${Math.round(summary.ticksPerSecond).toLocaleString('en-US')} ticks/s (${summary.ticks.toLocaleString('en-US')} ticks, ${summary.ordersSubmitted} orders)`,
  );
  console.log(`  ${label} / floor: ${(summary.ticksPerSecond / floor).toFixed(3)}`);
  console.log(
    formatRow(
      `  tick-to-order latency (per order)`,
      {
        ...latency,
        p50: latency.p50 / 1000,
        p99: latency.p99 / 1000,
        p999: latency.p999 / 1000,
        max: latency.max / 1000,
      },
      'µs',
    ),
  );
}

async function waitForReport(
  store: FileKillSwitchStore,
  engineId: string,
  revision: number,
): Promise<number> {
  const deadline = performance.now() + 5000;
  for (;;) {
    const report = (await store.listEngineReports()).find((entry) => entry.engineId === engineId);
    if (report !== undefined && report.observedRevision >= revision) return report.observedAt;
    if (performance.now() > deadline)
      throw new Error(`engine did not confirm revision ${revision} within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function propagation(scratch: string): Promise<void> {
  const stateDirectory = path.join(scratch, 'propagation');
  const engineId = 'bench-child';
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'propagation-engine.js');
  const child = spawn(process.execPath, [script, stateDirectory, engineId], { stdio: 'inherit' });
  const store = new FileKillSwitchStore({ stateDirectory });
  try {
    await waitForReport(store, engineId, 1);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const issuedToBlocked: number[] = [];
    const acknowledgedToBlocked: number[] = [];
    const durable: number[] = [];
    const issuedToReleased: number[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const issuedAt = systemClock.now();
      const engaged = await store.update(engageDecision(`bench cycle ${cycle}`, 'bench', 'manual'));
      const acknowledgedAt = systemClock.now();
      durable.push(acknowledgedAt - issuedAt);
      const blockedAt = await waitForReport(store, engineId, engaged.record.revision);
      issuedToBlocked.push(blockedAt - issuedAt);
      // Negative when the engine blocked before the writer's fsyncs finished (the usual case).
      acknowledgedToBlocked.push(blockedAt - acknowledgedAt);
      const resetIssuedAt = systemClock.now();
      const reset = await store.update(resetDecision('bench', 'bench'));
      issuedToReleased.push(
        (await waitForReport(store, engineId, reset.record.revision)) - resetIssuedAt,
      );
      await new Promise((resolve) => setTimeout(resolve, 2 + (cycle % 7)));
    }
    const report = (label: string, samples: number[]): void =>
      console.log(formatRow(label, percentiles(samples), 'ms', 3));
    report('kill issued -> durable (acknowledged)', durable);
    report('kill issued -> busy engine blocked', issuedToBlocked);
    report('kill acknowledged -> engine blocked (<0: before)', acknowledgedToBlocked);
    report('reset issued -> engine released', issuedToReleased);
    const beforeAck = acknowledgedToBlocked.filter((value) => value <= 0).length;
    console.log(`  ${beforeAck}/${CYCLES} engages were enforced before the writer's ack`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await store.close();
  }
}

const scratch = await mkdtemp(path.join(os.tmpdir(), 'livegate-bench-'));
try {
  console.log(
    `livegate bench — node ${process.version}, ${os.cpus().length} cpus, ${os.cpus()[0]?.model ?? ''}`,
  );
  console.log(
    `${''.padEnd(44)}${'p50'.padStart(14)}${'p99'.padStart(14)}${'p99.9'.padStart(14)}${'max'.padStart(14)}`,
  );
  await gateCheckCost();
  await benchPreTrade();
  await benchFixOrderFile();
  await engineThroughput(scratch);
  await propagation(scratch);
  await benchStuckEngine();
  await benchUnwritableKill();
  await benchCliWall();
} finally {
  await rm(scratch, { recursive: true, force: true });
}

// Does the control plane slow the tick loop? The same unpaced run three ways in one process:
// engine alone, engine with metrics and the HTTP server idle, and engine while a client scrapes
// /metrics every 10 ms (far more often than any Prometheus) and another holds the SSE stream open.

import { request } from 'node:http';
import { PaperBroker } from '../src/adapters/brokers/paper-broker.js';
import { MemoryKillSwitchStore } from '../src/adapters/stores/memory-kill-switch-store.js';
import type { RunSummary } from '../src/core/events.js';
import type { Tick } from '../src/core/types.js';
import { LiveEngine } from '../src/engine/live-engine.js';
import { startControlServer } from '../src/http/control-server.js';
import { engineViewOf } from '../src/http/engine-view.js';
import { KillSwitch } from '../src/killswitch/kill-switch.js';
import { createEngineMetrics } from '../src/observability/metrics/engine-metrics.js';
import { PeriodicOrderStrategy } from '../src/strategies/periodic-order-strategy.js';
import { formatRow, percentiles } from './bench-stats.js';

type Mode = 'alone' | 'server idle' | 'scraped + SSE client';

const SCRAPE_EVERY_MS = 10;
/** The tick set is replayed this many times, so a run lasts long enough for many scrapes. */
const REPEATS = 3;

async function runOnce(batches: Tick[][], mode: Mode): Promise<RunSummary & { scrapes: number }> {
  const killSwitch = await KillSwitch.open(new MemoryKillSwitchStore(), { actor: 'bench' });
  const engine = new LiveEngine({
    killSwitch,
    strategy: new PeriodicOrderStrategy({ every: 100 }),
    broker: new PaperBroker(),
    engineId: 'bench',
  });
  let scrapes = 0;
  let stop = (): Promise<void> => Promise.resolve();
  if (mode !== 'alone') {
    const view = engineViewOf({
      engine,
      killSwitch,
      feedStaleAfterMs: 5_000,
      confirmTimeoutMs: 1_000,
      engineStaleAfterMs: 5_000,
    });
    const metrics = createEngineMetrics(view);
    const server = await startControlServer({
      view,
      tokens: { operator: null, admin: null },
      host: '127.0.0.1',
      port: 0,
      maxAuthFailures: 5,
      authFailureWindowMs: 60_000,
      metrics,
    });
    let scraping = mode === 'scraped + SSE client';
    const events = scraping ? request(new URL('api/events', server.url)).end() : undefined;
    events?.on('response', (response) => response.resume());
    events?.on('error', () => undefined);
    const scraper = (async () => {
      while (scraping) {
        const response = await fetch(new URL('metrics', server.url));
        await response.text();
        scrapes++;
        await new Promise((resolve) => setTimeout(resolve, SCRAPE_EVERY_MS));
      }
    })();
    stop = async () => {
      scraping = false;
      await scraper;
      events?.destroy();
      await server.close();
      metrics.close();
    };
  }
  const summary = await engine.run(batches);
  await stop();
  killSwitch.close();
  return { ...summary, scrapes };
}

/** One scrape's work on the event loop: while it runs, ticks wait. */
async function renderCost(): Promise<void> {
  const killSwitch = await KillSwitch.open(new MemoryKillSwitchStore(), { actor: 'bench' });
  const engine = new LiveEngine({
    killSwitch,
    strategy: new PeriodicOrderStrategy({ every: 100 }),
    broker: new PaperBroker(),
    engineId: 'bench',
  });
  const view = engineViewOf({
    engine,
    killSwitch,
    feedStaleAfterMs: 5_000,
    confirmTimeoutMs: 1_000,
    engineStaleAfterMs: 5_000,
  });
  const metrics = createEngineMetrics(view);
  const samples: number[] = [];
  for (let index = 0; index < 500; index++) {
    const started = performance.now();
    await metrics.render();
    samples.push(performance.now() - started);
  }
  metrics.close();
  killSwitch.close();
  console.log(
    formatRow('/metrics render (event-loop time per scrape)', percentiles(samples), 'ms', 3),
  );
}

export async function benchControlPlane(batches: Tick[][]): Promise<void> {
  await renderCost();
  await runOnce(batches.slice(0, 400), 'scraped + SSE client');
  const longer = Array.from({ length: REPEATS }, () => batches).flat();
  const results: Array<[Mode, RunSummary & { scrapes: number }]> = [];
  for (const mode of ['alone', 'server idle', 'scraped + SSE client'] as const) {
    results.push([mode, await runOnce(longer, mode)]);
  }
  const alone = results[0]?.[1].ticksPerSecond ?? 1;
  for (const [mode, summary] of results) {
    const latency = summary.latencyNs;
    const scraped = mode === 'scraped + SSE client' ? `, ${summary.scrapes} scrapes` : '';
    console.log(
      `engine, control plane ${mode}: ${Math.round(summary.ticksPerSecond).toLocaleString('en-US')} ticks/s (${(summary.ticksPerSecond / alone).toFixed(3)} of alone${scraped})`,
    );
    console.log(
      formatRow(
        `  tick-to-order latency, ${mode}`,
        {
          count: latency.count,
          p50: latency.p50 / 1000,
          p99: latency.p99 / 1000,
          p999: latency.p999 / 1000,
          max: latency.max / 1000,
        },
        'µs',
      ),
    );
  }
}

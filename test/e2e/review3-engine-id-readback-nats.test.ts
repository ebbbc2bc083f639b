// Adversarial review 3 (wt-review3) of issue 9's heartbeat read-back, on the NATS store.
//
// GUARANTEE (docs/kill-switch.md, "Confirmed kill"): "every running engine also reads its own id
// back at each heartbeat; when the key holds another process's report it engages `engine:<id>` ...
// Bound: two heartbeats (`heartbeatIntervalMs`, 1 s) after the second process first publishes".
//
// BREAK: the read-back is issued in the same turn as the engine's own publish (EngineReporter.beat:
// publish(); checkIdHeld()), so it reads back the engine's own fresh write unless the other process
// writes inside that few-ms window. A second process that heartbeats at the same rate but in another
// phase (here: another process under the same id publishing once per second, half a second after
// the engine; a real second `run` that passed the claim does the same) is never seen. Same root
// cause as review3-engine-id-readback-redis.test.ts, shown on NATS JetStream KV.
//
// EVIDENCE (machine nats-server, heartbeat 1000 ms): the other process published 10 reports under
// the id over 10 s, half a heartbeat out of phase; engine:twice was never engaged, no "ENGINE ID IN
// USE TWICE" in the log, the engine kept trading (ordersSubmitted 1000 at the end).
//
// SUGGESTED FIX: check before writing (or CAS the write on the revision this process wrote last:
// kv.update(key, value, lastRevision) fails when anyone else wrote in between).
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKillSwitchStore } from '../../src/adapters/index.js';
import { loadConfig } from '../../src/config/load-config.js';
import { runCli, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';
import { MACHINE_NATS_URL, natsProblem, uniqueNamespace } from '../support/nats-server.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

describe('review 3: engine id read-back on NATS', () => {
  it('an engine engages engine:<id> when another live process publishes under its id at the heartbeat rate', async (context) => {
    const problem = await natsProblem(MACHINE_NATS_URL);
    if (problem !== undefined) {
      console.warn(`SKIPPED: ${problem}`);
      context.skip();
      return;
    }
    const directory = await mkdtemp(path.join(os.tmpdir(), 'review3-natsrb-'));
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(
      config,
      [
        'killSwitch:',
        '  store: nats',
        `  url: ${MACHINE_NATS_URL}`,
        `  namespace: ${uniqueNamespace('r3rb')}`,
        'engine:',
        '  heartbeatIntervalMs: 1000',
        'http:',
        '  enabled: false',
        '',
      ].join('\n'),
    );
    const stateDir = path.join(directory, 'state');
    const common = ['--config', config, '--state-dir', stateDir];
    expect((await runCli(['init', ...common, '--reason', 'r3', '--by', 'r3'])).code).toBe(0);
    const engine: RunningCli = startCli([
      'run',
      ...common,
      '--engine-id',
      'twice',
      '--strategy',
      'one-order-per-tick',
      '--rate',
      '100',
      '--ticks',
      '0',
    ]);
    cleanup.push(async () => {
      engine.child.kill('SIGKILL');
      await engine.exited;
    });
    const other = spawn('sleep', ['60']);
    cleanup.push(() => Promise.resolve(other.kill('SIGKILL')));
    const loaded = loadConfig({ path: config, env: {}, overrides: { stateDir } });
    const store = await createKillSwitchStore(loaded);
    cleanup.push(() => store.close());
    const own = await waitFor(
      'the engine trading',
      async () => {
        const report = await store.readEngineReport('twice').catch(() => undefined);
        return report !== undefined &&
          report.pid === engine.child.pid &&
          Number(report.stats.ordersSubmitted) > 2
          ? report
          : undefined;
      },
      20_000,
    );
    // Half a heartbeat after the engine's own publish, once per heartbeat: as a second `run`
    // started half a second later would.
    await new Promise((resolve) => setTimeout(resolve, 500));
    let published = 0;
    const deadline = performance.now() + 10_000;
    let engaged: string | undefined;
    const scopeStore = await createKillSwitchStore(loaded, 'engine:twice');
    cleanup.push(() => scopeStore.close());
    let lastOwnOrders = 0;
    while (performance.now() < deadline && engaged === undefined) {
      const mine = await store.readEngineReport('twice').catch(() => undefined);
      if (mine !== undefined && mine.pid === engine.child.pid)
        lastOwnOrders = Number(mine.stats.ordersSubmitted);
      await store.publishEngineReport({
        ...own,
        pid: other.pid!,
        process: undefined,
        reportedAt: Date.now(),
        startedAt: new Date().toISOString(),
      });
      published++;
      const record = await scopeStore.read().catch(() => null);
      if (record?.state === 'ENGAGED') engaged = record.reason;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    console.log(
      `review3 nats read-back: other process published ${String(published)} reports under the id over ~${String(published)} s; ` +
        `engine:twice ${engaged === undefined ? 'never engaged' : `ENGAGED: ${engaged}`}; engine ordersSubmitted last seen ${String(lastOwnOrders)}; ` +
        `log mentions conflict: ${String(/ENGINE ID IN USE TWICE/.test(engine.stdout() + engine.stderr()))}`,
    );
    expect(engaged).toBeDefined();
  }, 60_000);
});

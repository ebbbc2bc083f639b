// Adversarial review of issue 9 (wt-review). Guarantee under test (docs/fleet.md, kill-switch.md):
// "an empty or wiped shared store never reads as SAFE": after the store loses its data, engines stay
// ENGAGED until the *global* state is re-created (`livegate init` or a global `reset`).
//
// BREAK: the fail-closed latch is shared by all scopes of an engine and is released by a SAFE
// reset written after the failure in ANY scope. A `reset --scope desk:fx` (or engine:<id>) on the
// wiped server therefore releases the latch while the global state is still missing: the global
// scope's KillSwitch kept its last record (SAFE) in `current`, so the engine goes SAFE and routes
// orders (the lease is renewed too: "missing" is a valid read) until its next global read re-latches
// it. The scope reset even exits 0 ("released") although the engine ends up ENGAGED again.
// Fixed: a vanished scope keeps the engine ENGAGED by itself.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKillSwitchStore } from '../../src/adapters/index.js';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import { loadConfig } from '../../src/config/load-config.js';
import {
  runCli,
  startCli,
  waitFor,
  writeFleetConfig,
  type RunningCli,
} from '../support/cli-harness.js';
import { PrivateRedisServer, redisServerInstalled } from '../support/redis-server.js';

const running: RunningCli[] = [];
afterAll(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
});

describe('a wiped shared store (redis restarted empty)', () => {
  it('a desk-scope reset does not release engines while the global state is still missing (no order until init/global reset)', async (context) => {
    if (!redisServerInstalled('review: wiped store scope reset')) {
      context.skip();
      return;
    }
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-review-wipe-'));
    const server = await PrivateRedisServer.start();
    const config = await writeFleetConfig(
      directory,
      {
        store: 'redis',
        url: server.url,
        failClosedAfterMs: 1000,
        pollIntervalMs: 100,
        confirmTimeoutMs: 5000,
      },
      200,
    );
    const stateDir = path.join(directory, 'state');
    const common = ['--config', config, '--state-dir', stateDir];
    const reader = await createKillSwitchStore(
      loadConfig({ path: config, env: {}, overrides: { stateDir } }),
    );
    try {
      const init = await runCli(['init', ...common, '--reason', 'new', '--by', 'ops']);
      expect(init.code).toBe(0);
      const engine = startCli([
        'run',
        ...common,
        '--engine-id',
        'fx-1',
        '--desk',
        'fx',
        '--strategy',
        'one-order-per-tick',
        '--rate',
        '200',
        '--ticks',
        '0',
      ]);
      running.push(engine);
      const report = async () =>
        (await reader.listEngineReports().catch(() => [])).find((r) => r.engineId === 'fx-1');
      await waitFor(
        'fx-1 trading',
        async () => {
          const r = await report();
          return r?.enforcedState === 'SAFE' && Number(r.stats.ordersSubmitted) > 0
            ? true
            : undefined;
        },
        30_000,
      );
      // The store loses everything.
      await server.kill();
      await server.start();
      await waitFor(
        'fx-1 to fail closed',
        async () => ((await report())?.failClosed === true ? true : undefined),
        30_000,
      );
      // An operator resets the fx desk (for an unrelated desk-level kill, say). Global is still missing.
      const deskReset = await runCli([
        'reset',
        ...common,
        '--scope',
        'desk:fx',
        '--reason',
        'desk reviewed',
        '--by',
        'ops',
        '--json',
      ]);
      // Let the engine run a while: the global state is still missing throughout.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const status = await runCli(['status', ...common]);
      // Missing, or (this state dir's high-water mark saw it) gone: never SAFE.
      expect(status.stdout + status.stderr).toMatch(
        /ERR_STATE_MISSING|revision \d+ was seen but the state is gone/,
      );
      engine.child.kill('SIGTERM');
      await engine.exited;
      const journal = await readJournal(path.join(stateDir, 'journal', 'fx-1'));
      const failedAt = journal.events.findIndex((e) => e.type === 'KillSwitchFailedClosed');
      expect(failedAt).toBeGreaterThanOrEqual(0);
      const after = journal.events.slice(failedAt);
      const ordersAfterWipe = after.filter((e) => e.type === 'OrderSubmitted').length;
      const safeAgain = after.filter(
        (e) => e.type === 'KillSwitchChanged' && e.enforcedState === 'SAFE',
      ).length;
      // Diagnostics for the reader of a failure.
      console.log(
        `desk reset exit ${String(deskReset.code)}; SAFE again ${safeAgain}x; orders after the wipe: ${ordersAfterWipe}`,
      );
      expect(safeAgain).toBe(0);
      expect(ordersAfterWipe).toBe(0);
      // And a reset that "released" must not leave its engine ENGAGED.
      expect(deskReset.code).not.toBe(0);
    } finally {
      for (const cli of running.splice(0)) {
        cli.child.kill('SIGKILL');
        await cli.exited;
      }
      await reader.close();
      await server.destroy();
    }
  }, 90_000);
});

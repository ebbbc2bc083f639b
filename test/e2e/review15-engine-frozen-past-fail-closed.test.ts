// Review 15: an engine SIGSTOPped for longer than failClosedAfterMs while an operator kills, then
// SIGCONTed. Promise (fleet.md, "What is guaranteed"): a stall of the engine's own loop is not a
// silent store (it re-reads first), and no order passes on state older than the lease. So after
// the thaw no order may be sent on the pre-kill revision: the kill was in the store all along.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import { runCli, startCli, waitFor, writeFleetConfig } from '../support/cli-harness.js';
import {
  deleteNamespace,
  machineRedisAvailable,
  MACHINE_REDIS_URL,
  uniqueNamespace,
} from '../support/redis-server.js';

const available = await machineRedisAvailable('engine frozen past failClosedAfterMs (redis)');

describe.skipIf(!available)('an engine frozen longer than failClosedAfterMs', () => {
  it('sends nothing on the old state after the thaw, and obeys the kill written meanwhile', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-review15-frozen-'));
    const namespace = uniqueNamespace('review15-frozen');
    const config = await writeFleetConfig(
      directory,
      {
        store: 'redis',
        url: MACHINE_REDIS_URL,
        namespace,
        pollIntervalMs: 100,
        failClosedAfterMs: 1000,
      },
      200,
    );
    const stateDir = path.join(directory, 'state');
    const common = ['--config', config, '--state-dir', stateDir];
    let engine: ReturnType<typeof startCli> | undefined;
    try {
      expect((await runCli(['init', ...common, '--reason', 'desk', '--by', 'ops'])).code).toBe(0);
      engine = startCli([
        ...['run', ...common, '--engine-id', 'frozen', '--strategy', 'one-order-per-tick'],
        ...['--rate', '200', '--ticks', '0'],
      ]);
      const journal = path.join(stateDir, 'journal', 'frozen');
      await waitFor(
        'orders',
        async () =>
          (await readJournal(journal).catch(() => ({ events: [] }))).events.some(
            (event) => event.type === 'OrderSubmitted',
          ) || undefined,
        20_000,
      );
      engine.child.kill('SIGSTOP');
      const kill = await runCli([
        ...['kill', ...common, '--reason', 'while frozen', '--by', 'ops', '--timeout', '500'],
      ]);
      expect(kill.code).toBe(1); // durable, not confirmed by the frozen engine
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const thawedAt = Date.now();
      engine.child.kill('SIGCONT');
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      engine.child.kill('SIGTERM');
      await engine.exited;
      engine = undefined;
      const { events } = await readJournal(journal);
      const afterThaw = events.filter(
        (event) => event.type === 'OrderSubmitted' && event.time >= thawedAt,
      );
      const engaged = events.find(
        (event) => event.type === 'KillSwitchChanged' && event.enforcedState === 'ENGAGED',
      );
      const failedClosed = events.filter((event) => event.type === 'KillSwitchFailedClosed');
      console.log(
        `orders after thaw: ${afterThaw.length}; engaged at +${engaged === undefined ? 'never' : engaged.time - thawedAt} ms; failed closed: ${failedClosed.length}`,
      );
      expect(afterThaw).toEqual([]);
      expect(engaged).toBeDefined();
    } finally {
      engine?.child.kill('SIGKILL');
      engine?.child.kill('SIGCONT');
      await engine?.exited;
      await deleteNamespace(MACHINE_REDIS_URL, namespace);
    }
  }, 60_000);
});

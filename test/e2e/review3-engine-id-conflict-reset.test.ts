// Adversarial review 3 (wt-review3) of issue 9's heartbeat read-back (engine-id conflicts).
//
// GUARANTEE (docs/kill-switch.md, "Confirmed kill"; commit e286be7 "two processes under one engine
// id never both trade"): "when the key holds another process's report it engages `engine:<id>` ...
// and so does the other engine when it reads back. Neither trades again until an operator stops one
// and resets that scope."
//
// BREAK: EngineReporter remembers each conflicting process in `conflicts` and calls onIdConflict
// once per process, ever. A `livegate reset --scope engine:<id>` written while both processes still
// run (an operator who resets first and stops the duplicate second, or resets the wrong scope, or a
// script that resets every engine: scope) releases both for good: the read-back keeps seeing the
// other process but stays silent, so both trade again under one id, indefinitely, and a kill counts
// one's confirmation for both again. The reset even exits 0.
//
// EVIDENCE (this test, file store, two `run --engine-id twice` spawned together, heartbeat 1 s):
// engine:twice ENGAGED by the read-back (trigger engine-id-conflict), both processes logged ENGINE ID
// IN USE TWICE; `reset --scope engine:twice`
// exit 0; afterwards, for 8 s, the scope stayed SAFE and both pids kept publishing SAFE reports with
// ordersSubmitted rising: pid 9658 107->808 and pid 9659 105->507 in 8 s after the reset.
//
// SUGGESTED FIX: re-raise the conflict whenever the read-back still sees another process and the
// engine scope is not ENGAGED by an engine-id-conflict (e.g. clear `conflicts` when the scope goes
// SAFE, or key the memo by scope revision); or have `reset --scope engine:<id>` refuse while the
// id's key shows more than one live process.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import { runCli, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';

const ENGINE_ID = 'twice';
const running: RunningCli[] = [];
afterAll(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
});

function engine(stateDir: string): RunningCli {
  const cli = startCli([
    'run',
    '--state-dir',
    stateDir,
    '--engine-id',
    ENGINE_ID,
    '--strategy',
    'one-order-per-tick',
    '--rate',
    '100',
    '--ticks',
    '0',
    '--no-http',
  ]);
  running.push(cli);
  return cli;
}

async function engineScope(stateDir: string) {
  const store = new FileKillSwitchStore({ stateDirectory: stateDir, scope: `engine:${ENGINE_ID}` });
  try {
    return await store.read();
  } finally {
    await store.close();
  }
}

describe('review 3: reset of engine:<id> while two processes still run under the id', () => {
  it('after the read-back engaged engine:<id>, a scope reset with both still running does not let both trade again', async () => {
    let stateDir = '';
    let pair: RunningCli[] = [];
    // Both must pass the start-up claim and be caught by the read-back; try again otherwise.
    for (let attempt = 1; attempt <= 4; attempt++) {
      stateDir = await mkdtemp(path.join(os.tmpdir(), 'review3-idreset-'));
      pair = [engine(stateDir), engine(stateDir)];
      const caught = await waitFor(
        'engine:twice engaged or one refused',
        async () => {
          if (pair.some((cli) => cli.child.exitCode !== null)) return 'refused';
          const record = await engineScope(stateDir);
          return record?.state === 'ENGAGED' ? 'engaged' : undefined;
        },
        15_000,
      );
      // Reset only once both processes have raised the conflict (each does so once).
      const bothRaised =
        caught === 'engaged' &&
        (await waitFor(
          'both processes raising the conflict',
          () =>
            pair.every((cli) => /ENGINE ID IN USE TWICE/.test(cli.stdout() + cli.stderr()))
              ? true
              : undefined,
          10_000,
        ).catch(() => false));
      if (bothRaised) break;
      for (const cli of pair) cli.child.kill('SIGKILL');
      await Promise.all(pair.map((cli) => cli.exited));
    }
    const engaged = await engineScope(stateDir);
    expect(engaged?.trigger).toBe('engine-id-conflict');
    expect(pair.every((cli) => cli.child.exitCode === null)).toBe(true);
    const reset = await runCli([
      'reset',
      '--state-dir',
      stateDir,
      '--scope',
      `engine:${ENGINE_ID}`,
      '--reason',
      'looked into it',
      '--by',
      'r3',
      '--timeout',
      '3000',
    ]);
    console.log(
      `reset --scope engine:twice: exit ${String(reset.code)} ${reset.stderr.trim().slice(0, 300)}`,
    );
    const store = new FileKillSwitchStore({ stateDirectory: stateDir });
    const seen = new Map<number, { safe: number; first: number; last: number }>();
    let scopeState = '';
    try {
      const until = Date.now() + 8000;
      while (Date.now() < until) {
        const report = await store.readEngineReport(ENGINE_ID).catch(() => undefined);
        if (report !== undefined && report.unreadable === undefined) {
          const orders = Number(report.stats.ordersSubmitted);
          const entry = seen.get(report.pid) ?? { safe: 0, first: orders, last: orders };
          if (report.enforcedState === 'SAFE') entry.safe++;
          entry.last = orders;
          seen.set(report.pid, entry);
        }
        scopeState = (await engineScope(stateDir))?.state ?? 'none';
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await store.close();
    }
    console.log(
      `after the reset (8 s): engine:twice ${scopeState}; reports per pid ${JSON.stringify([...seen])}`,
    );
    const bothTrading = [...seen.values()].filter((s) => s.safe > 0 && s.last > s.first);
    // The guarantee: two processes under one id never both trade.
    expect(bothTrading.length).toBeLessThan(2);
    expect(scopeState).toBe('ENGAGED');
  }, 120_000);
});

// Kill-switch scopes across real processes on the file store: a desk kill stops that desk only.
import { describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import {
  runCli,
  type RunningCli,
  scratchDirectory,
  startCli,
  stoppedAfterEach,
  waitFor,
} from '../support/cli-harness.js';

const running = stoppedAfterEach();

function startEngine(stateDir: string, engineId: string, desk: string): RunningCli {
  const cli = startCli([
    'run',
    '--state-dir',
    stateDir,
    '--engine-id',
    engineId,
    '--desk',
    desk,
    '--strategy',
    'one-order-per-tick',
    '--rate',
    '1000',
    '--ticks',
    '0',
    '--no-http',
  ]);
  running.push(cli);
  return cli;
}

async function reportsOf(stateDir: string) {
  const store = new FileKillSwitchStore({ stateDirectory: stateDir });
  try {
    return await store.listEngineReports();
  } finally {
    await store.close();
  }
}

async function ordersOf(stateDir: string): Promise<Map<string, number>> {
  const reports = await reportsOf(stateDir);
  return new Map(reports.map((report) => [report.engineId, Number(report.stats.ordersSubmitted)]));
}

/** Order counts from reports every engine published after `since` (epoch ms). */
async function ordersReportedAfter(stateDir: string, since: number) {
  return waitFor(`reports newer than ${since}`, async () => {
    const reports = await reportsOf(stateDir);
    const fresh = reports.length === 2 && reports.every((report) => report.reportedAt > since);
    return fresh
      ? new Map(reports.map((report) => [report.engineId, Number(report.stats.ordersSubmitted)]))
      : undefined;
  });
}

describe('kill-switch scopes (file store, real processes)', () => {
  it('stops only the engines of a desk on `kill --scope desk:fx`, and status shows every scope', async () => {
    const stateDir = await scratchDirectory();
    startEngine(stateDir, 'fx-1', 'fx');
    startEngine(stateDir, 'eq-1', 'eq');
    await waitFor('both engines ordering', async () => {
      const orders = await ordersOf(stateDir);
      return (orders.get('fx-1') ?? 0) > 0 && (orders.get('eq-1') ?? 0) > 0 ? orders : undefined;
    });

    const kill = await runCli([
      'kill',
      '--state-dir',
      stateDir,
      '--scope',
      'desk:fx',
      '--reason',
      'fx desk limit',
      '--by',
      'desk-head',
      '--json',
    ]);
    expect(kill.stderr).toBe('');
    expect(kill.code).toBe(0);
    const result = JSON.parse(kill.stdout) as {
      scope: string;
      record: { state: string };
      confirmations: { confirmed: { engineId: string }[]; missing: unknown[] };
    };
    expect(result).toMatchObject({ scope: 'desk:fx', record: { state: 'ENGAGED' } });
    // Only the fx engine is under desk:fx, so only it is waited for.
    expect(result.confirmations.confirmed.map((engine) => engine.engineId)).toEqual(['fx-1']);

    const stopped = await ordersOf(stateDir);
    await waitFor('eq to keep ordering', async () => {
      const orders = await ordersOf(stateDir);
      return (orders.get('eq-1') ?? 0) > (stopped.get('eq-1') ?? 0) + 20 ? orders : undefined;
    });
    const later = await ordersOf(stateDir);
    expect(later.get('fx-1')).toBe(stopped.get('fx-1'));

    const status = await runCli(['status', '--state-dir', stateDir, '--json']);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as {
      state: string;
      scopes: { scope: string; state: string }[];
    };
    expect(parsed.state).toBe('SAFE');
    expect(parsed.scopes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ scope: 'desk:fx', state: 'ENGAGED' }),
        expect.objectContaining({ scope: 'desk:eq', state: 'SAFE' }),
        expect.objectContaining({ scope: 'engine:fx-1', state: 'SAFE' }),
      ]),
    );

    // A global kill stops everyone, and a desk reset does not release it.
    const global = await runCli(['kill', '--state-dir', stateDir, '--reason', 'firm stop']);
    expect(global.code).toBe(0);
    expect(global.stdout).toMatch(/confirmed by 2\/2 engines/);
    const reset = await runCli([
      'reset',
      '--state-dir',
      stateDir,
      '--scope',
      'desk:fx',
      '--reason',
      'fx ok',
      '--by',
      'desk-head',
    ]);
    // Durable, but it releases nobody: it says so, names the engine and exits 1.
    expect(reset.code).toBe(1);
    expect(reset.stderr).toMatch(/not released within \d+ ms by: fx-1/);
    expect(reset.stdout).toContain('still enforces ENGAGED (another scope holds it)');
    // Orders counted in reports published after the kill, then in reports a heartbeat after the reset.
    const frozen = await ordersReportedAfter(stateDir, Date.now());
    expect(await ordersReportedAfter(stateDir, Date.now() + 100)).toEqual(frozen);
  });

  it('refuses a malformed scope with a usage error', async () => {
    const result = await runCli([
      'kill',
      '--state-dir',
      await scratchDirectory(),
      '--scope',
      'desk',
      '--reason',
      'x',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--scope must be global, desk:<name> or engine:<id>/);
  });
});

describe('a scope no engine obeys', () => {
  it('`kill --scope` with a typo exits 1 naming the real scopes (written all the same: an engine still starting may obey it); reset refuses it; --create-scope is quiet', async () => {
    const stateDir = await scratchDirectory();
    startEngine(stateDir, 'fx-1', 'fx');
    await waitFor('fx-1 registered', async () =>
      (await reportsOf(stateDir)).some((report) => report.scopes?.['desk:fx'] !== undefined)
        ? true
        : undefined,
    );
    const typo = await runCli([
      'kill',
      '--state-dir',
      stateDir,
      '--scope',
      'desk:xf',
      '--reason',
      'typo drill',
    ]);
    // The code before this wrote desk:xf, stopped nothing and exited 0.
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('scope desk:xf had no state and no running engine reported it');
    expect(typo.stderr).toContain('desk:fx');
    expect(typo.stderr).toContain('engine:fx-1');
    const xf = new FileKillSwitchStore({ stateDirectory: stateDir, scope: 'desk:xf' });
    try {
      expect((await xf.read())?.state).toBe('ENGAGED');
      const reset = await runCli([
        ...['reset', '--state-dir', stateDir, '--scope', 'desk:xq'],
        ...['--reason', 'typo', '--by', 'ops'],
      ]);
      expect(reset.code).toBe(1);
      expect(reset.stderr).toContain(
        'scope desk:xq has no state and no running engine reports it: refused',
      );
      const armed = await runCli([
        ...['kill', '--state-dir', stateDir, '--scope', 'desk:eq', '--create-scope'],
        ...['--reason', 'armed before the desk starts'],
      ]);
      expect(armed.code).toBe(0);
    } finally {
      await xf.close();
    }
    // A scope engines obey needs no flag.
    const fx = await runCli([
      'kill',
      '--state-dir',
      stateDir,
      '--scope',
      'desk:fx',
      '--reason',
      'fx drill',
    ]);
    expect(fx.code).toBe(0);
  }, 30_000);
});

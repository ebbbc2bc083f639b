// The dead-man watchdog as an operator runs it: a real engine frozen with SIGSTOP gets its scope engaged.
import { describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import {
  type RunningCli,
  scratchDirectory,
  startCli,
  stoppedAfterEach,
  waitFor,
} from '../support/cli-harness.js';

const running = stoppedAfterEach();

function start(args: readonly string[]): RunningCli {
  const cli = startCli(args);
  running.push(cli);
  return cli;
}

describe('livegate watchdog', () => {
  it('engages the scope when a running engine hangs (SIGSTOP), and says so on stdout', async () => {
    const stateDir = await scratchDirectory();
    const engine = start([
      'run',
      '--state-dir',
      stateDir,
      '--engine-id',
      'hung-engine',
      '--desk',
      'fx',
      '--rate',
      '200',
      '--ticks',
      '0',
      '--no-http',
    ]);
    const watchdog = start([
      'watchdog',
      '--state-dir',
      stateDir,
      '--scope',
      'desk:fx',
      '--stale-after',
      '1500',
      '--interval',
      '100',
    ]);
    await waitFor('the watchdog to see the engine', () =>
      watchdog.stdout().includes('"engine-seen"') ? true : undefined,
    );
    const frozenAt = Date.now();
    engine.child.kill('SIGSTOP');
    const line = await waitFor(
      'the watchdog to engage desk:fx',
      () =>
        watchdog
          .stdout()
          .split('\n')
          .find((entry) => entry.includes('"scope-engaged"')),
      15_000,
    );
    const engagedAfterMs = Date.now() - frozenAt;
    expect(JSON.parse(line)).toMatchObject({ scope: 'desk:fx', changed: true });
    // Stale after 1.5 s of silence, heartbeats every 1 s: engaged within ~2.6 s plus scheduling.
    expect(engagedAfterMs).toBeGreaterThanOrEqual(1_000);
    const store = new FileKillSwitchStore({ stateDirectory: stateDir, scope: 'desk:fx' });
    try {
      const record = await store.read();
      expect(record).toMatchObject({ state: 'ENGAGED', trigger: 'watchdog' });
      expect(record?.reason).toMatch(/hung-engine no heartbeat/);
    } finally {
      await store.close();
    }
    const global = new FileKillSwitchStore({ stateDirectory: stateDir });
    try {
      expect((await global.read())?.state).toBe('SAFE');
    } finally {
      await global.close();
    }
  });
});

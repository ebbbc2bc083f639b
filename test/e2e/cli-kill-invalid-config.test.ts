// An emergency kill is never refused over a config section it does not use: a typo under `risk`
// (an operator editing the file while engines run) leaves the kill to go ahead, said on stderr;
// invalid venue settings make the kill exit 1 (its venues cannot be reached); an invalid store
// section still refuses (exit 2), because the kill would not know where to write.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import {
  runCli,
  scratchDirectory,
  startCli,
  stoppedAfterEach,
  waitFor,
} from '../support/cli-harness.js';

const running = stoppedAfterEach();

async function startEngine(stateDir: string, engineId: string): Promise<void> {
  const engine = startCli([
    'run',
    '--state-dir',
    stateDir,
    '--engine-id',
    engineId,
    '--strategy',
    'one-order-per-tick',
    '--rate',
    '200',
    '--ticks',
    '0',
    '--no-http',
  ]);
  running.push(engine);
  const store = new FileKillSwitchStore({ stateDirectory: stateDir });
  try {
    await waitFor(
      'the engine to trade',
      async () =>
        (await store.listEngineReports()).some(
          (report) => report.engineId === engineId && Number(report.stats.ordersSubmitted) > 0,
        ) || undefined,
      20_000,
    );
  } finally {
    await store.close();
  }
}

async function stateOf(stateDir: string): Promise<string | undefined> {
  const store = new FileKillSwitchStore({ stateDirectory: stateDir });
  try {
    return (await store.read())?.state;
  } finally {
    await store.close();
  }
}

async function configFile(directory: string, yaml: string): Promise<string> {
  const file = path.join(directory, 'edited.yaml');
  await writeFile(file, yaml);
  return file;
}

function kill(stateDir: string, config: string) {
  return runCli([
    'kill',
    '--state-dir',
    stateDir,
    '--config',
    config,
    '--reason',
    'runaway',
    '--by',
    'tester',
    '--timeout',
    '8000',
  ]);
}

describe('livegate kill with a config that is invalid elsewhere', () => {
  it('goes ahead past a typo under risk: engines confirm, exit 0, the problem named on stderr', async () => {
    const stateDir = await scratchDirectory();
    await startEngine(stateDir, 'typo-engine');
    const config = await configFile(
      stateDir,
      'risk:\n  preTrade:\n    defaults:\n      maxQuantitty: 5\n',
    );
    const result = await kill(stateDir, config);
    expect(result.stderr).toContain('risk.preTrade.defaults.maxQuantitty: unknown key');
    expect(result.stderr).toContain('goes ahead');
    expect(result.stdout).toContain('typo-engine');
    expect(result.code).toBe(0);
    expect(await stateOf(stateDir)).toBe('ENGAGED');
    // `run` still refuses the same file.
    const run = await runCli(['run', '--state-dir', stateDir, '--config', config, '--no-http']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('maxQuantitty');
  }, 60_000);

  it('engages the engines but exits 1 when the venue settings are invalid: no venue can be reached', async () => {
    const stateDir = await scratchDirectory();
    await startEngine(stateDir, 'venue-engine');
    const config = await configFile(stateDir, 'broker:\n  kind: ccxtt\n');
    const result = await kill(stateDir, config);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('broker.kind');
    expect(result.stdout + result.stderr).toMatch(/venue settings are invalid/);
    expect(await stateOf(stateDir)).toBe('ENGAGED');
  }, 60_000);

  it('refuses (exit 2, nothing written) when the store section itself is invalid', async () => {
    const stateDir = await scratchDirectory();
    await startEngine(stateDir, 'store-engine');
    const config = await configFile(stateDir, 'killSwitch:\n  store: fille\n');
    const result = await kill(stateDir, config);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('killSwitch.store');
    expect(await stateOf(stateDir)).toBe('SAFE');
  }, 60_000);
});

// log.file and SIGHUP, the way logrotate runs them: rename the file, signal, and no line is lost.
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import { onlyJournal, scratchDirectory, startCli, waitFor } from '../support/cli-harness.js';

const heartbeatsIn = (text: string): number =>
  text.split('\n').filter((line) => line.includes('"event":"Heartbeat"')).length;

describe('livegate run with log.file', () => {
  it('reopens its log file on SIGHUP after a rename: the two files hold every heartbeat the journal has', async () => {
    const stateDir = await scratchDirectory();
    const logFile = path.join(stateDir, 'engine.log');
    const config = path.join(stateDir, 'livegate.yaml');
    await writeFile(
      config,
      `log:\n  file: ${logFile}\n  level: debug\nengine:\n  heartbeatIntervalMs: 100\n`,
    );
    const run = startCli([
      ...['run', '--config', config, '--state-dir', stateDir, '--no-http'],
      ...['--rate', '100', '--ticks', '0'],
    ]);
    const read = (file: string) => readFile(file, 'utf8').catch(() => '');
    await waitFor('heartbeats in the log file', async () =>
      heartbeatsIn(await read(logFile)) >= 5 ? true : undefined,
    );
    expect(run.stdout()).toBe(''); // the log went to the file, not stdout
    const rotated = `${logFile}.1`;
    await rename(logFile, rotated);
    run.child.kill('SIGHUP');
    await waitFor('heartbeats in the new log file', async () =>
      heartbeatsIn(await read(logFile)) >= 5 ? true : undefined,
    );
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(exit.code, exit.stderr).toBe(0); // SIGHUP did not end the run
    const before = heartbeatsIn(await read(rotated));
    const after = heartbeatsIn(await read(logFile));
    const { events } = await readJournal(await onlyJournal(stateDir));
    const journaled = events.filter((event) => event.type === 'Heartbeat').length;
    expect(before).toBeGreaterThanOrEqual(5);
    expect(after).toBeGreaterThanOrEqual(5);
    expect(before + after).toBe(journaled);
    expect(await read(logFile)).toContain('log file reopened (SIGHUP)');
  }, 30_000);

  it('logs the first heartbeat at info and the rest at debug', async () => {
    const stateDir = await scratchDirectory();
    const run = startCli([
      ...['run', '--state-dir', stateDir, '--no-http', '--rate', '100', '--ticks', '0'],
    ]);
    await waitFor('the first heartbeat', () =>
      run.stdout().includes('"Heartbeat"') ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // two more heartbeats (1 s)
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(heartbeatsIn(exit.stdout)).toBe(1);
  }, 30_000);
});

// Issue 14 (1): an outage shorter than failClosedAfterMs latches nothing, for an engine that starts
// during it too. Found by the 100-engine fleet bench: an engine whose first read took over the
// store's request timeout on a loaded machine latched FAIL-CLOSED at once and waited for a reset.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, waitFor, writeFleetConfig } from '../support/cli-harness.js';
import { natsServerBinaryAvailable, PrivateNatsServer } from '../support/nats-server.js';

describe('an engine that starts while its store does not answer', () => {
  it('trades once the store answers within failClosedAfterMs, and fails closed after it', async (context) => {
    if (!(await natsServerBinaryAvailable('engine starts during a store outage'))) {
      context.skip();
      return;
    }
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-start-outage-'));
    const server = await PrivateNatsServer.start();
    const running: ReturnType<typeof startCli>[] = [];
    try {
      const config = await writeFleetConfig(
        directory,
        { store: 'nats', url: server.url, failClosedAfterMs: 6000, confirmTimeoutMs: 2000 },
        200,
      );
      const common = ['--config', config, '--state-dir', path.join(directory, 'cli')];
      expect((await runCli(['init', ...common, '--reason', 'new', '--by', 'ops'])).code).toBe(0);
      const runArgs = (name: string) => [
        ...['run', '--config', config, '--state-dir', path.join(directory, name)],
        ...['--engine-id', name, '--rate', '50', '--strategy', 'one-order-per-tick'],
        ...['--log-level', 'debug'], // orders are logged at debug
      ];

      // Frozen for 3 s while the engine starts: shorter than failClosedAfterMs.
      server.freeze();
      const short = startCli(runArgs('short-outage'));
      running.push(short);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      server.thaw();
      await waitFor(
        'an order from the engine that started during the outage',
        () => (short.stdout().includes('"OrderSubmitted"') ? true : undefined),
        20_000,
      );
      expect(short.stderr()).not.toContain('FAIL-CLOSED');
      expect(short.stderr()).toContain('kill-switch store not answering');

      // Frozen for longer than failClosedAfterMs: the engine fails closed (latched) as before.
      server.freeze();
      const long = startCli(runArgs('long-outage'));
      running.push(long);
      await waitFor(
        'the engine to fail closed',
        () => (long.stderr().includes('FAIL-CLOSED') ? true : undefined),
        20_000,
      );
      server.thaw();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(long.stdout()).not.toContain('"OrderSubmitted"');
    } finally {
      server.thaw();
      for (const cli of running) cli.child.kill('SIGKILL');
      await server.stop();
    }
  }, 60_000);
});

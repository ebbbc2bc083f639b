// Adversarial review of issue 9 (wt-review). Guarantee under test (docs/fleet.md, docs/kill-switch.md):
// the stores "send their own round trips, they do not wait for TCP to notice" a frozen server, and
// `kill`/`reduce`/`reset`/`status` never hang: against an unwritable store `kill` "exits 1".
//
// BREAK: against a NATS server frozen with SIGSTOP (sockets open, nothing answers), `livegate kill`,
// `status` and `reset` print their ERR_STORE_UNREACHABLE verdict within seconds, then never exit:
// the NATS connection (reconnecting forever, maxReconnectAttempts -1) keeps the process alive after
// NatsKvConnection.close() gave up waiting, and the CLI relies on the event loop draining. An
// operator's script or runbook step waiting for the exit code waits forever. (Against a frozen Redis
// the same commands exit 1 in 2.4–3.5 s.) Fixed: main.ts exits once the command is done.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, writeFleetConfig } from '../support/cli-harness.js';
import { natsServerBinaryAvailable, PrivateNatsServer } from '../support/nats-server.js';

const EXIT_WITHIN_MS = 15_000;

describe('CLI commands against a frozen NATS server', () => {
  it('kill, status and reset exit (1) within seconds when the NATS server is frozen', async (context) => {
    if (!(await natsServerBinaryAvailable('review: frozen nats'))) {
      context.skip();
      return;
    }
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-review-frozen-nats-'));
    const server = await PrivateNatsServer.start();
    try {
      const config = await writeFleetConfig(
        directory,
        { store: 'nats', url: server.url, confirmTimeoutMs: 1000 },
        200,
      );
      const common = ['--config', config, '--state-dir', path.join(directory, 'state')];
      const init = await runCli(['init', ...common, '--reason', 'new', '--by', 'ops']);
      expect(init.code).toBe(0);
      server.freeze();
      const commands = [
        ['kill', '--reason', 'frozen server drill'],
        ['status'],
        ['reset', '--reason', 'frozen server drill', '--by', 'ops'],
      ];
      const results = await Promise.all(
        commands.map(async (command) => {
          const cli = startCli([...command, ...common]);
          const started = Date.now();
          const timer = setTimeout(() => cli.child.kill('SIGKILL'), EXIT_WITHIN_MS);
          const result = await cli.exited;
          clearTimeout(timer);
          return { command: command[0], ...result, ms: Date.now() - started };
        }),
      );
      for (const result of results) {
        console.log(
          `${String(result.command)}: code ${String(result.code)} signal ${String(result.signal)} after ${result.ms} ms; ${result.stderr.trim().split('\n')[0] ?? ''}`,
        );
      }
      for (const result of results) {
        expect(result.signal).toBeNull(); // not killed by the test's deadline
        expect(result.code).toBe(1);
      }
    } finally {
      server.thaw();
      await server.dispose();
    }
  }, 60_000);
});

// Review of issue 12 (FIX venue): a FIX venue that accepts the TCP connection and never answers
// the kill session's Logon. docs/kill-switch.md: the kill exits 1 (ERR_VENUE_UNCONFIRMED) when a
// venue cannot confirm, waiting up to --timeout; it must never hang.
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, scratchDirectory, startCli } from '../support/cli-harness.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('livegate kill against a FIX venue that never answers the Logon', () => {
  it('exits 1 naming the venue instead of hanging', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.resume(); // reads the Logon, answers nothing
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const { port } = silent.address() as net.AddressInfo;
    const directory = await scratchDirectory('livegate-review12-fix-silent-');
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(
      config,
      [
        'feed: { kind: fix }',
        'broker: { kind: fix }',
        'fix:',
        '  host: 127.0.0.1',
        `  port: ${port}`,
        '  senderCompId: DESK',
        '  targetCompId: VENUE',
        '  killSenderCompId: DESK-KILL',
        '  marketData: { senderCompId: DESK-MD }',
        '  symbols: [EURUSD]',
        'http: { enabled: false }',
        '',
      ].join('\n'),
    );
    const common = ['--config', config, '--state-dir', path.join(directory, 'state')];
    const init = await runCli(['init', ...common, '--reason', 'review12', '--by', 'review']);
    expect(init.code, init.stderr).toBe(0);

    const started = performance.now();
    const kill = startCli(['kill', ...common, '--reason', 'silent FIX venue', '--timeout', '1000']);
    // fix.requestTimeoutMs (5 s) for the logon, the CLI's start-up and the dictionary on top:
    // 20 s is far more than any bound the docs give.
    const outcome = await Promise.race([
      kill.exited,
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000)),
    ]);
    const elapsedMs = performance.now() - started;
    if (outcome === 'hung') {
      kill.child.kill('SIGKILL');
      await kill.exited;
    }
    expect(outcome, `kill still running after ${Math.round(elapsedMs)} ms`).not.toBe('hung');
    if (outcome === 'hung') return;
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/ERR_VENUE_UNCONFIRMED: .*fix:VENUE/);
  }, 60_000);
});

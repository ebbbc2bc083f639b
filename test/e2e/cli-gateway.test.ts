// `livegate run` against a WebSocket gateway (docs/gateway-protocol.md), as an MT5 bridge would
// serve it: ticks in, orders out, fills back; a dropped gateway is reconnected; a kill stops orders.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli, waitFor } from '../support/cli-harness.js';
import { ScriptableGateway, tickFrame } from '../support/gateway-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('livegate run on a WebSocket gateway', () => {
  it('trades through the gateway, survives a dropped connection, and stops ordering on a kill', async () => {
    const gateway = await ScriptableGateway.start();
    cleanups.push(() => gateway.stop());
    let index = 0;
    const ticker = setInterval(() => {
      for (const peer of gateway.openPeers) {
        if (peer.framesOf('subscribe').length > 0) peer.send(tickFrame(index++));
      }
    }, 5);
    cleanups.push(() => Promise.resolve(clearInterval(ticker)));
    const orders = () =>
      gateway.peers.reduce((count, peer) => count + peer.framesOf('order').length, 0);

    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-gateway-'));
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(
      config,
      [
        'feed: { kind: websocket }',
        'broker: { kind: websocket }',
        `gateway: { url: "${gateway.url}/account-1", symbols: [EURUSD] }`,
        'strategy: { module: one-order-per-tick }',
        'http: { enabled: false }',
        '',
      ].join('\n'),
    );
    const stateDir = path.join(directory, 'state');
    const common = ['--config', config, '--state-dir', stateDir];
    const engine = startCli(['run', ...common, '--engine-id', 'gateway-engine']);
    cleanups.push(async () => {
      engine.child.kill('SIGKILL');
      await engine.exited;
    });

    await waitFor('orders through the gateway', () => (orders() >= 20 ? true : undefined), 20_000);
    // The report that status reads is refreshed with every heartbeat (1 s).
    const status = await waitFor(
      'a heartbeat report with venue figures',
      async () => {
        const result = await runCli(['status', ...common]);
        return /last tick: \d+ ms ago/.test(result.stdout) ? result : undefined;
      },
      10_000,
    );
    expect(status.stdout).toMatch(/broker: connected \(ws:\/\/127\.0\.0\.1:\d+\/account-1\)/);
    expect(status.stdout).toMatch(/last message from the broker's venue: \d+ ms ago/);

    // The gateway process dies: livegate reconnects, resubscribes, and trades on.
    gateway.dropAll();
    const beforeDrop = orders();
    await waitFor(
      'orders after the reconnect',
      () => (orders() > beforeDrop + 20 ? true : undefined),
      20_000,
    );
    expect(engine.stdout()).toMatch(/broker disconnected/);

    const kill = await runCli(['kill', ...common, '--reason', 'gateway e2e']);
    expect(kill.code).toBe(0);
    const atKill = orders();
    const ticksAtKill = index;
    await waitFor(
      'ticks still flowing',
      () => (index > ticksAtKill + 100 ? true : undefined),
      10_000,
    );
    expect(orders()).toBe(atKill);

    engine.child.kill('SIGTERM');
    const exited = await engine.exited;
    expect(exited.code, exited.stderr).toBe(0);
  });
});

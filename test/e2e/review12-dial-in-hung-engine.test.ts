// Review of issue 12 (dial-in gateways): an engine hung with SIGSTOP still holds gateway.listen.
// docs/gateway-protocol.md: the kill cannot listen and the relay gets no answer, so the receipt
// says NOT CONFIRMED and the kill exits 1 (within --timeout, like any venue that cannot confirm);
// the gateway's dead-man cancels livegate's orders 3 heartbeats after the engine's last one.
import { mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReferenceGateway } from '../../scripts/dial-in-gateway/reference-gateway.js';
import { runCli, startCli, waitFor } from '../support/cli-harness.js';

const TOKEN = 'review12-dial-in-token-0123456789';
const HEARTBEAT_MS = 200;
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** A limit 3 % under the bid every 20th tick: it rests at the gateway. */
const STRATEGY = `
export default class Resting {
  name = 'review12-resting';
  ticks = 0;
  onTick(tick) {
    this.ticks += 1;
    if (this.ticks % 20 !== 0) return null;
    return { symbol: tick.symbol, side: 'buy', quantity: 1, type: 'limit', price: Math.round(tick.bid * 0.97 * 1e5) / 1e5 };
  }
}
`;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('livegate kill while the dial-in engine is hung (SIGSTOP) and holds the address', () => {
  it('says NOT CONFIRMED and exits 1 within --timeout; the gateway dead-man cancels the orders', async () => {
    const port = await freePort();
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-review12-dial-in-'));
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(path.join(directory, 'strategy.mjs'), STRATEGY);
    await writeFile(
      config,
      [
        'feed: { kind: websocket }',
        'broker: { kind: websocket }',
        'gateway:',
        `  listen: "127.0.0.1:${port}"`,
        '  symbols: [EURUSD]',
        `  heartbeatIntervalMs: ${HEARTBEAT_MS}`,
        '  staleAfterMs: 2000',
        'strategy: { module: ./strategy.mjs }',
        'http: { enabled: false }',
        '',
      ].join('\n'),
    );
    const common = ['--config', config, '--state-dir', path.join(directory, 'state')];
    const gateway = new ReferenceGateway({
      url: `ws://127.0.0.1:${port}`,
      token: TOKEN,
      name: 'mt5-review',
      redialMs: 100,
    });
    cleanups.push(() => gateway.stop());
    gateway.start();
    const engine = startCli(['run', ...common, '--engine-id', 'review12-hung'], {
      LIVEGATE_GATEWAY_TOKEN: TOKEN,
    });
    cleanups.push(async () => {
      engine.child.kill('SIGCONT');
      engine.child.kill('SIGKILL');
      await engine.exited;
    });
    await waitFor(
      'resting orders and heartbeats at the gateway',
      () =>
        gateway.account.openOrders.length >= 2 && gateway.heartbeatIntervalMs === HEARTBEAT_MS
          ? true
          : undefined,
      20_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${engine.stderr()}`);
    });

    engine.child.kill('SIGSTOP');
    const stoppedAt = performance.now();
    const started = performance.now();
    const kill = await runCli(
      ['kill', ...common, '--reason', 'hung engine', '--timeout', '2000', '--json'],
      { LIVEGATE_GATEWAY_TOKEN: TOKEN },
    );
    const elapsedMs = performance.now() - started;
    process.stdout.write(
      `kill with a hung dial-in engine: exit ${kill.code} after ${Math.round(elapsedMs)} ms\n`,
    );
    expect(kill.code).toBe(1);
    const venues = (
      JSON.parse(kill.stdout) as { venues?: { ok: boolean; receipts: { confirmed: boolean }[] } }
    ).venues;
    expect(venues?.ok).toBe(false);
    expect(venues?.receipts[0]?.confirmed).toBe(false);
    expect(kill.stderr).toMatch(/ERR_VENUE_UNCONFIRMED/);

    await waitFor('the gateway dead-man', () => gateway.deadManFirings[0], 10_000);
    const firing = gateway.deadManFirings[0];
    process.stdout.write(
      `dead-man fired ${Math.round((firing?.at ?? 0) - (Date.now() - (performance.now() - stoppedAt)))} ms after the SIGSTOP, cancelled ${firing?.cancelled}\n`,
    );
    expect(gateway.account.openOrders.filter((o) => o.clientOrderId !== undefined)).toEqual([]);
    // The engine is hung, not dead: 2 s of --timeout and the process start-up, 5 s at most.
    expect(elapsedMs, `kill took ${Math.round(elapsedMs)} ms`).toBeLessThan(5_000);
  }, 60_000);
});

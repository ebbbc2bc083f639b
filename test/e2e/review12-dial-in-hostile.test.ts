// Review of issue 12 (dial-in gateways): hostile clients dial a running engine's gateway.listen
// (no hello, empty and short tokens, an oversized hello, a second gateway with the right token,
// /kill without a token) while the real gateway trades; none may take or disturb its session.
import { mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ReferenceGateway } from '../../scripts/dial-in-gateway/reference-gateway.js';
import { runCli, startCli, waitFor } from '../support/cli-harness.js';

const TOKEN = 'review12-hostile-token-0123456789';
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const STRATEGY = `
export default class Resting {
  name = 'review12-hostile';
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

/** Dials `url`, sends `first` (if any) once open, resolves with the close code or 'open' after `holdMs`. */
function dial(
  url: string,
  first: string | Buffer | undefined,
  options: WebSocket.ClientOptions = {},
  holdMs = 8_000,
): Promise<number | 'open' | 'error'> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { ...options, maxPayload: 4 * 1024 * 1024 });
    const timer = setTimeout(() => {
      socket.terminate();
      resolve('open');
    }, holdMs);
    socket.on('open', () => {
      if (first !== undefined) socket.send(first);
    });
    socket.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    socket.on('error', () => {
      clearTimeout(timer);
      resolve('error');
    });
  });
}

describe('hostile dial-ins against a running engine', () => {
  it('are all refused, and the gateway session and trading carry on undisturbed', async () => {
    const port = await freePort();
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-review12-hostile-'));
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
        '  heartbeatIntervalMs: 200',
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
    const engine = startCli(['run', ...common, '--engine-id', 'review12-hostile'], {
      LIVEGATE_GATEWAY_TOKEN: TOKEN,
    });
    cleanups.push(async () => {
      engine.child.kill('SIGKILL');
      await engine.exited;
    });
    await waitFor(
      'orders at the gateway',
      () => (gateway.account.placements >= 2 ? true : undefined),
      20_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${engine.stderr()}`);
    });
    const dialInsBefore = gateway.dialIns;
    const placementsBefore = gateway.account.placements;
    const base = `ws://127.0.0.1:${port}`;
    const hello = (fields: Record<string, unknown>) =>
      JSON.stringify({ type: 'hello', seq: 1, protocol: 1, gateway: 'mt5-review', ...fields });

    const silent = Array.from({ length: 200 }, () => dial(`${base}/broker`, undefined));
    const results = await Promise.all([
      dial(`${base}/broker`, hello({ token: '' })),
      dial(`${base}/broker`, hello({ token: 'short' })),
      dial(`${base}/broker`, hello({})),
      dial(`${base}/feed`, hello({ token: TOKEN.slice(0, -1) })),
      dial(`${base}/broker`, hello({ token: 'x'.repeat(2 * 1024 * 1024) })),
      dial(`${base}/broker`, Buffer.from([1, 2, 3])),
      dial(`${base}/broker`, hello({ token: TOKEN, gateway: 'another-terminal' })),
      dial(`${base}/kill`, undefined, { headers: { authorization: 'Bearer ' } }),
      dial(`${base}/kill`, undefined, { headers: { authorization: `Bearer ${TOKEN}x` } }),
      dial(`${base}/kill`, undefined),
      ...silent,
    ]);
    const [empty, short, none, wrongFeed, huge, binary, second, killEmpty, killWrong, killNone] =
      results;
    expect({ empty, short, none, wrongFeed, binary, killWrong, killNone }).toEqual({
      empty: 4003,
      short: 4003,
      none: 4003,
      wrongFeed: 4003,
      binary: 4003,
      killWrong: 4003,
      killNone: 4003,
    });
    expect(huge).toBe(1009); // over MAX_FRAME_BYTES
    expect(second).toBe(4004); // the session is held by mt5-review
    expect([4003, 'error']).toContain(killEmpty);
    // Silent dial-ins are refused after the hello timeout (requestTimeoutMs, 5 s), never kept.
    expect(results.slice(10).every((code) => code === 4003)).toBe(true);

    await waitFor(
      'trading to go on',
      () => (gateway.account.placements >= placementsBefore + 3 ? true : undefined),
      10_000,
    );
    expect(gateway.dialIns).toBe(dialInsBefore); // the real session was never displaced
    expect(gateway.violations).toEqual([]);
    expect(engine.child.exitCode).toBeNull();

    // The token reaches no log, nor the kill's output.
    const kill = await runCli(['kill', ...common, '--reason', 'hostile', '--timeout', '5000'], {
      LIVEGATE_GATEWAY_TOKEN: TOKEN,
    });
    expect(kill.code, kill.stderr).toBe(0);
    for (const text of [engine.stdout(), engine.stderr(), kill.stdout, kill.stderr]) {
      expect(text).not.toContain(TOKEN.slice(0, 20));
    }
  }, 90_000);
});

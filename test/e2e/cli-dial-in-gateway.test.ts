// `livegate run` with a gateway that dials in (gateway.listen), as an MT5 Expert Advisor would: the
// reference gateway (scripts/dial-in-gateway) dials the built CLI's listener with the token, and
// the engine trades through it while it drops and dials back, refuses a wrong token, cancels at
// the gateway on `livegate kill`, and, SIGKILLed, leaves its orders to the gateway's dead-man.
import { mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import { ReferenceGateway } from '../../scripts/dial-in-gateway/reference-gateway.js';
import { onlyJournal, runCli, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';

const TOKEN = 'e2e-dial-in-token-0123456789abcdef';
const HEARTBEAT_MS = 200;
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** A market order every 10th tick (filled later, in two parts), a limit 3 % under the bid every 40th (rests; the price collar is 5 %). */
const STRATEGY = `
export default class DialInStrategy {
  name = 'dial-in-e2e';
  ticks = 0;
  onTick(tick, context) {
    this.ticks += 1;
    if (this.ticks % 40 === 0) {
      return { symbol: tick.symbol, side: 'buy', quantity: 1, type: 'limit', price: Math.round(tick.bid * 0.97 * 1e5) / 1e5 };
    }
    if (this.ticks % 10 !== 0) return null;
    return { symbol: tick.symbol, side: context.position(tick.symbol) > 4 ? 'sell' : 'buy', quantity: 2, type: 'market' };
  }
}
`;

interface Receipt {
  venue: string;
  confirmed: boolean;
  cancelled: number;
  stillOpen: unknown[];
  afterMs: number;
  problem?: string;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function setup() {
  const port = await freePort();
  const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-dial-in-'));
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
  const stateDir = path.join(directory, 'state');
  const common = ['--config', config, '--state-dir', stateDir];
  // The gateway comes first and keeps dialling, as an EA attached to a chart does.
  const gateway = new ReferenceGateway({
    url: `ws://127.0.0.1:${port}`,
    token: TOKEN,
    name: 'mt5-demo',
    redialMs: 100,
    fillDelayMs: 40,
  });
  cleanups.push(() => gateway.stop());
  gateway.start();
  const engine = startCli(['run', ...common, '--engine-id', 'dial-in-engine'], {
    LIVEGATE_GATEWAY_TOKEN: TOKEN,
  });
  cleanups.push(async () => {
    engine.child.kill('SIGKILL');
    await engine.exited;
  });
  return { port, common, gateway, engine, stateDir };
}

function livegateOrders(gateway: ReferenceGateway) {
  return [...gateway.account.orders.values()].filter((order) => order.clientOrderId !== undefined);
}

async function waitOrFail(engine: RunningCli, what: string, probe: () => boolean, ms = 20_000) {
  await waitFor(what, () => (probe() ? true : undefined), ms).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${engine.stderr()}\n${engine.stdout().slice(-2000)}`);
  });
}

describe('livegate run with a gateway that dials in', () => {
  it('trades through it across a drop, refuses a wrong token, and a kill cancels at the gateway through the engine', async () => {
    const { port, common, gateway, engine, stateDir } = await setup();
    const resting = () => gateway.account.openOrders.filter((o) => o.orderType === 'limit');
    await waitOrFail(engine, 'fills and resting orders at the gateway', () => {
      const filled = livegateOrders(gateway).filter((order) => order.status === 'filled');
      return filled.length >= 5 && resting().length >= 2;
    });

    // The gateway's connection drops (terminal restart, network): it dials back, trading goes on.
    gateway.dropConnections();
    const beforeDrop = gateway.account.placements;
    await waitOrFail(engine, 'orders after the dial-back', () => {
      return gateway.account.placements >= beforeDrop + 10 && gateway.connected('broker');
    });
    expect(gateway.dialIns).toBeGreaterThanOrEqual(4); // feed and broker, twice

    const intruder = new ReferenceGateway({
      url: `ws://127.0.0.1:${port}`,
      token: 'someone-else-0123456789abcdef',
      roles: ['broker'],
      redialMs: 60_000,
    });
    cleanups.push(() => intruder.stop());
    intruder.start();
    await waitOrFail(engine, 'the wrong token refused', () => intruder.closes.length > 0);
    expect(intruder.closes[0]).toMatchObject({ code: 4003, reason: 'unauthorized: wrong token' });
    await intruder.stop();
    await waitOrFail(engine, 'the refusal in the log', () =>
      /broker connection-refused: dial-in to \/broker from 127\.0\.0\.1:\d+ refused: wrong token/.test(
        engine.stdout(),
      ),
    );

    const manual = gateway.account.placeManualOrder('EURUSD', 1, 0.5);
    const kill = await runCli(
      ['kill', ...common, '--reason', 'dial-in e2e', '--timeout', '5000', '--json'],
      { LIVEGATE_GATEWAY_TOKEN: TOKEN },
    );
    expect(kill.code, kill.stderr).toBe(0);
    const receipt = (JSON.parse(kill.stdout) as { venues?: { receipts: Receipt[] } }).venues
      ?.receipts[0];
    expect(receipt).toMatchObject({
      venue: `websocket:dial-in:127.0.0.1:${port}`,
      confirmed: true,
      stillOpen: [],
    });
    process.stdout.write(`dial-in kill through the engine: flat ${receipt?.afterMs} ms\n`);
    expect(gateway.account.openOrders).toEqual([]);
    expect(manual.status).toBe('cancelled'); // scope account: the hand-placed order too

    const atKill = gateway.account.placements;
    const dialInsAtKill = gateway.dialIns;
    const ticksAtKill = gateway.ticksSent;
    // Ticks keep coming (an order every 10th before the kill), orders do not.
    await waitOrFail(engine, '100 more ticks', () => gateway.ticksSent > ticksAtKill + 100);
    expect(gateway.account.placements).toBe(atKill);
    expect(gateway.dialIns).toBe(dialInsAtKill); // the kill did not disturb the engine's session

    engine.child.kill('SIGTERM');
    const exited = await engine.exited;
    expect(exited.code, exited.stderr).toBe(0);
    // Every execution at the gateway reached the engine exactly once, drop or not.
    const { events } = await readJournal(await onlyJournal(stateDir));
    const journalled = events.filter((event) => event.type === 'OrderFilled');
    const executions = livegateOrders(gateway).flatMap((order) => order.fills);
    expect(journalled).toHaveLength(executions.length);
    expect(executions.length).toBeGreaterThan(10);
    const placed = livegateOrders(gateway).length;
    expect(gateway.account.placements).toBe(placed); // never the same clientOrderId twice
    expect(gateway.account.statusQueries).toBeGreaterThan(0); // the re-sends after the drop
    expect(gateway.violations).toEqual([]);
  });

  it('SIGKILLed, its orders are cancelled by the gateway dead-man after 3 heartbeats; a kill with no engine listens itself and confirms flat', async () => {
    const { common, gateway, engine } = await setup();
    await waitOrFail(engine, 'resting orders and heartbeats at the gateway', () => {
      const resting = gateway.account.openOrders.filter((o) => o.orderType === 'limit');
      return resting.length >= 2 && gateway.heartbeatIntervalMs === HEARTBEAT_MS;
    });
    const manual = gateway.account.placeManualOrder('EURUSD', 1, 0.5);
    engine.child.kill('SIGKILL');
    await engine.exited;
    const livegateOpen = () => gateway.account.openOrders.filter((o) => o !== manual);

    await waitOrFail(engine, 'the gateway dead-man', () => gateway.deadManFirings.length > 0, 5000);
    const firing = gateway.deadManFirings[0];
    expect(firing?.silentForMs).toBeGreaterThanOrEqual(3 * HEARTBEAT_MS);
    expect(firing?.cancelled).toBeGreaterThanOrEqual(2);
    expect(livegateOpen()).toEqual([]);
    expect(gateway.account.openOrders).toEqual([manual]); // not livegate's: left to the kill

    const kill = await runCli(
      ['kill', ...common, '--reason', 'engine dead', '--timeout', '5000', '--json'],
      { LIVEGATE_GATEWAY_TOKEN: TOKEN },
    );
    expect(kill.code, kill.stderr).toBe(0);
    const receipt = (JSON.parse(kill.stdout) as { venues?: { receipts: Receipt[] } }).venues
      ?.receipts[0];
    expect(receipt).toMatchObject({ confirmed: true, cancelled: 1, stillOpen: [] });
    process.stdout.write(`dial-in kill with no engine: flat ${receipt?.afterMs} ms\n`);
    expect(gateway.account.openOrders).toEqual([]);
  });
});

describe('the reference gateway as a process (node dist/scripts/dial-in-gateway/main.js)', () => {
  const script = path.resolve('dist/scripts/dial-in-gateway/main.js');

  function runScript(args: readonly string[], env: NodeJS.ProcessEnv) {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await exited;
    });
    return { child, exited, stdout: () => stdout, stderr: () => stderr };
  }

  it('refuses to start without a URL and a token, naming both', async () => {
    const run = runScript([], { LIVEGATE_GATEWAY_TOKEN: '' });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/--url: required.*LIVEGATE_GATEWAY_TOKEN: required/);
  });

  it('dials in to livegate run and trades', async () => {
    const port = await freePort();
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-dial-in-script-'));
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(
      config,
      [
        'feed: { kind: websocket }',
        'broker: { kind: websocket }',
        `gateway: { listen: "127.0.0.1:${port}", symbols: [EURUSD] }`,
        'strategy: { module: periodic, options: { every: 20 } }',
        'http: { enabled: false }',
        '',
      ].join('\n'),
    );
    const gateway = runScript(['--url', `ws://127.0.0.1:${port}`, '--name', 'script'], {
      LIVEGATE_GATEWAY_TOKEN: TOKEN,
    });
    const engine = startCli(
      ['run', '--config', config, '--state-dir', path.join(directory, 'state')],
      { LIVEGATE_GATEWAY_TOKEN: TOKEN },
    );
    cleanups.push(async () => {
      engine.child.kill('SIGKILL');
      await engine.exited;
    });
    await waitOrFail(engine, 'the script to report orders placed', () =>
      gateway
        .stdout()
        .split('\n')
        .some((line) => /"broker":true,"feed":true,"placements":[1-9]/.test(line)),
    );
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
  });
});

// Review of issue 12, adversarial: the `.orders` file is what lets a FIX restart know an order
// the engine journal had not flushed (SIGKILL within 100 ms of the order). FixBroker.connect()
// reads it, and cuts a file past 20,000 lines back with a rename, BEFORE the session lock is
// taken: a second `livegate run` on the same FIX session (an operator's double start, another
// engine id) that is then refused by the lock has already swapped the file under the running
// engine, whose O_APPEND descriptor now writes to a deleted inode.
import { appendFile, writeFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDirectory, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';
import { FixVenue } from '../support/fix-venue.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** A market order every 5th tick; one resting limit buy of 700 at 1.09 once `flag` exists. */
const RESTING_ON_FLAG = `
import { existsSync } from 'node:fs';
export default class RestingOnFlag {
  name = 'resting-on-flag';
  ticks = 0;
  rested = false;
  constructor(options) { this.flag = options.flag; }
  onTick(tick, context) {
    this.ticks += 1;
    if (this.flag !== undefined && !this.rested && this.ticks % 20 === 0 && existsSync(this.flag)) {
      this.rested = true;
      return { symbol: tick.symbol, side: 'buy', quantity: 700, type: 'limit', price: 1.09 };
    }
    if (this.ticks % 5 !== 0) return null;
    const side = context.position(tick.symbol) > 0 ? 'sell' : 'buy';
    return { symbol: tick.symbol, side, quantity: 1000, type: 'market' };
  }
}
`;

interface Setup {
  readonly venue: FixVenue;
  readonly state: string;
  readonly flag: string;
  readonly run: (
    engineId: string,
    options: { rest: boolean; marketData: string },
  ) => Promise<RunningCli>;
}

async function setUp(name: string): Promise<Setup> {
  const venue = await FixVenue.start({
    accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' },
    fillParts: 2,
    fillDelayMs: 5,
    streamIntervalMs: 5,
  });
  cleanups.push(() => venue.stop());
  const directory = await scratchDirectory(`livegate-rev12e-${name}-`);
  const strategy = path.join(directory, 'resting-on-flag.mjs');
  await writeFile(strategy, RESTING_ON_FLAG);
  const state = path.join(directory, 'state');
  const flag = path.join(directory, 'rest-now');
  let configs = 0;
  const run: Setup['run'] = async (engineId, { rest, marketData }) => {
    const config = path.join(directory, `livegate-${(configs += 1)}.yaml`);
    const options = rest ? `{ flag: ${JSON.stringify(flag)} }` : '{}';
    const text = [
      'feed: { kind: fix }',
      'broker: { kind: fix }',
      `strategy: { module: ${JSON.stringify(strategy)}, options: ${options} }`,
      'fix:',
      '  host: 127.0.0.1',
      `  port: ${venue.port}`,
      '  senderCompId: DESK',
      '  targetCompId: VENUE',
      '  killSenderCompId: DESK-KILL',
      `  marketData: { senderCompId: ${marketData} }`,
      '  symbols: [EURUSD]',
      '  reconnectDelayMs: 100',
      '  requestTimeoutMs: 2000',
      'http: { enabled: false }',
      'log: { level: debug }',
      '',
    ].join('\n');
    await writeFile(config, text);
    const cli = startCli([
      'run',
      '--config',
      config,
      '--state-dir',
      state,
      '--engine-id',
      engineId,
    ]);
    cleanups.push(async () => {
      cli.child.kill('SIGKILL');
      await cli.exited;
    });
    return cli;
  };
  return { venue, run, state, flag };
}

/** SIGKILLs `engine` the moment its limit order reaches the venue (before its journal flush). */
function sigkillAtLimitOrder(venue: FixVenue, engine: RunningCli): void {
  const handle = venue.applicationMessage.bind(venue);
  let done = false;
  venue.applicationMessage = (client, msgType, message) => {
    if (!done && client === 'DESK' && msgType === 'D' && message['OrdType'] === '2') {
      done = true;
      engine.child.kill('SIGKILL');
    }
    handle(client, msgType, message);
  };
}

async function restartAndLook(setup: Setup) {
  const { venue } = setup;
  const restarted = await setup.run('rev12e-a', { rest: false, marketData: 'DESK-MD' });
  const before = venue.messagesFrom('DESK', 'D').length;
  await waitFor(
    'the restarted engine to trade or trip',
    () =>
      venue.messagesFrom('DESK', 'D').length >= before + 3 ||
      restarted.stdout().includes('"event":"RiskLimitBreached"')
        ? true
        : undefined,
    30_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\nstdout: ${restarted.stdout().slice(-3000)}`);
  });
  const mismatches = restarted
    .stdout()
    .split('\n')
    .filter((line) => line.includes('reconciliation-mismatch'))
    .map((line) => /"detail":"([^"]*)"/.exec(line.slice(line.indexOf('"kind"')))?.[1]);
  const stillOpen = venue.book.openOrders('ACME').filter((order) => order.price === 1.09);
  // Every fill once: the engine's position should be the venue's.
  venue.book.fillMarketOrders = false;
  await waitFor('the venue to send its last fills', () =>
    venue.book.fillsInFlight() === 0 ? true : undefined,
  );
  const atVenue = venue.book.netFilled('ACME', 'EURUSD');
  const held = await waitFor(
    "the engine's position to be the venue's",
    () => (positionOf(restarted.stdout()) === atVenue ? atVenue : undefined),
    5_000,
  ).catch(() => positionOf(restarted.stdout()));
  return { stillOpen: stillOpen.length, mismatches, atVenue, held };
}

describe('review 12e: the .orders file covers an order the journal had not flushed', () => {
  it('(control) SIGKILL as the limit order reaches the venue: the restart cancels it', async () => {
    const setup = await setUp('orders-control');
    const first = await setup.run('rev12e-a', { rest: true, marketData: 'DESK-MD' });
    sigkillAtLimitOrder(setup.venue, first);
    await writeFile(setup.flag, 'now');
    await first.exited;
    const seen = await restartAndLook(setup);
    console.log('control', JSON.stringify(seen));
    expect(seen.stillOpen).toBe(0);
    expect(seen.held).toBe(seen.atVenue);
  }, 120_000);

  // Was broken: a second `livegate run` refused by the session lock had already cut the .orders
  // file back (rename) under the running engine, whose later orders went to a deleted inode; the
  // file is now read (and cut back) only once the session lock is held.
  it('still covers it after a second run on the same session was refused by the lock', async () => {
    const setup = await setUp('orders-detached');
    // A long-lived session: 20,000 lines of earlier orders (another engine id), at the cut-back edge.
    const fixDirectory = path.join(setup.state, 'fix');
    await mkdir(fixDirectory, { recursive: true });
    const line = (index: number) =>
      JSON.stringify({
        clientOrderId: `11e6a7e0${index.toString(16).padStart(24, '0')}`,
        order: { id: `old-${index}`, symbol: 'EURUSD', side: 'buy', quantity: 1, type: 'market' },
      });
    const lines = Array.from({ length: 20_000 }, (_, index) => line(index)).join('\n');
    await appendFile(path.join(fixDirectory, 'DESK-VENUE.orders'), `${lines}\n`);
    const first = await setup.run('rev12e-a', { rest: true, marketData: 'DESK-MD' });
    await waitFor(
      'the engine to trade',
      () => (setup.venue.messagesFrom('DESK', 'D').length >= 3 ? true : undefined),
      30_000,
    );
    // A second run on the same order session (its own market-data session) is refused by the lock.
    const stray = await setup.run('rev12e-b', { rest: false, marketData: 'DESK-MD2' });
    const strayResult = await stray.exited;
    console.log('stray run exited', strayResult.code, strayResult.stderr.slice(-300));
    sigkillAtLimitOrder(setup.venue, first);
    await writeFile(setup.flag, 'now');
    await first.exited;
    const seen = await restartAndLook(setup);
    console.log('detached', JSON.stringify(seen));
    expect(seen.held).toBe(seen.atVenue);
    expect(seen.stillOpen).toBe(0);
  }, 120_000);
});

/** The EURUSD position in the engine's last logged heartbeat. */
function positionOf(stdout: string): number | undefined {
  const last = stdout
    .split('\n')
    .filter((line) => line.includes('"event":"Heartbeat"'))
    .at(-1);
  if (last === undefined) return undefined;
  const parsed = JSON.parse(last) as {
    report: { risk?: { positions: { symbol: string; quantity: number }[] } };
  };
  const positions = parsed.report.risk?.positions ?? [];
  return positions.find((entry) => entry.symbol === 'EURUSD')?.quantity ?? 0;
}

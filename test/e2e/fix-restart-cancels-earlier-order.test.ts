// Issue 12: a FIX engine SIGKILLed while one of its limit orders rests at the venue, restarted
// under the same engine id. Nobody would manage that order any more (the strategy's memory did
// not survive), so the restart cancels it at the venue before it trades, audits it, and keeps
// trading; a cancel the venue refuses leaves the engine REDUCING with the order named.
// Seen failing (2026-12-06): the order stayed open at the venue, the start reconciliation
// reported it "open at the venue, unknown here" and the engine went REDUCING.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDirectory, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';
import { FixVenue } from '../support/fix-venue.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** One resting limit buy on the first tick, then a market order every 5th tick (buy/sell). */
const RESTING_THEN_PERIODIC = `
export default class RestingThenPeriodic {
  name = 'resting-then-periodic';
  ticks = 0;
  constructor(options) { this.rest = options.rest === true; }
  onTick(tick, context) {
    this.ticks += 1;
    if (this.rest && this.ticks === 1)
      return { symbol: tick.symbol, side: 'buy', quantity: 700, type: 'limit', price: 1.09 };
    if (this.ticks % 5 !== 0) return null;
    const side = context.position(tick.symbol) > 0 ? 'sell' : 'buy';
    return { symbol: tick.symbol, side, quantity: 1000, type: 'market' };
  }
}
`;

interface Setup {
  readonly venue: FixVenue;
  readonly state: string;
  readonly run: (rest: boolean) => Promise<RunningCli>;
}

async function setUp(name: string): Promise<Setup> {
  const venue = await FixVenue.start({
    accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' },
    fillParts: 2,
    fillDelayMs: 5,
    streamIntervalMs: 5,
  });
  cleanups.push(() => venue.stop());
  const directory = await scratchDirectory(`livegate-fix-earlier-${name}-`);
  const strategy = path.join(directory, 'resting-then-periodic.mjs');
  await writeFile(strategy, RESTING_THEN_PERIODIC);
  const configFor = async (rest: boolean): Promise<string> => {
    const config = path.join(directory, `livegate-${rest ? 'rest' : 'trade'}.yaml`);
    await writeFile(
      config,
      [
        'feed: { kind: fix }',
        'broker: { kind: fix }',
        `strategy: { module: ${JSON.stringify(strategy)}, options: { rest: ${rest} } }`,
        'fix:',
        '  host: 127.0.0.1',
        `  port: ${venue.port}`,
        '  senderCompId: DESK',
        '  targetCompId: VENUE',
        '  killSenderCompId: DESK-KILL',
        '  marketData: { senderCompId: DESK-MD }',
        '  symbols: [EURUSD]',
        '  reconnectDelayMs: 100',
        '  requestTimeoutMs: 2000',
        'http: { enabled: false }',
        // Every heartbeat in stdout (only the first is logged at info).
        'log: { level: debug }',
        '',
      ].join('\n'),
    );
    return config;
  };
  const run = async (rest: boolean): Promise<RunningCli> => {
    const config = await configFor(rest);
    const state = path.join(directory, 'state');
    const engine = startCli(['run', '--config', config, '--state-dir', state, '--engine-id', name]);
    cleanups.push(async () => {
      engine.child.kill('SIGKILL');
      await engine.exited;
    });
    return engine;
  };
  return { venue, run, state: path.join(directory, 'state') };
}

/** Runs an engine until its limit order rests at the venue (and some market orders filled), then SIGKILLs it. */
async function crashWithRestingOrder(setup: Setup): Promise<string> {
  const engine = await setup.run(true);
  const resting = await waitFor(
    'the first run to have a resting limit order and 4 market orders',
    () => {
      const open = setup.venue.book.openOrders('ACME').filter((order) => order.price === 1.09);
      const orders = setup.venue.messagesFrom('DESK', 'D').length;
      return open.length === 1 && orders >= 5 ? open[0]!.clientOrderId : undefined;
    },
    30_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\nstdout: ${engine.stdout().slice(-3000)}`);
  });
  engine.child.kill('SIGKILL');
  await engine.exited;
  return resting;
}

describe('a FIX engine restarted after a SIGKILL with an order of its own resting at the venue', () => {
  it('cancels that order before trading, audits it, and keeps trading with the venue position', async () => {
    const setup = await setUp('fix-earlier-cancel');
    const { venue } = setup;
    const resting = await crashWithRestingOrder(setup);
    const before = venue.messagesFrom('DESK', 'D').length;
    const engine = await setup.run(false);
    await waitFor(
      'the restarted engine to trade again',
      () => (venue.messagesFrom('DESK', 'D').length >= before + 6 ? true : undefined),
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nstdout: ${engine.stdout().slice(-3000)}`);
    });
    // Cancelled at the venue, by this session, and said so in the audit trail.
    expect(venue.book.openOrders('ACME').map((order) => order.clientOrderId)).not.toContain(
      resting,
    );
    const cancels = venue.messagesFrom('DESK', 'F').map((message) => message['OrigClOrdID']);
    expect(cancels).toContain(resting);
    const audit = eventLines(engine.stdout(), 'EarlierOrderCancelled');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ clientOrderId: resting, leftQuantity: 700 });
    expect(await journaled(setup.state)).toMatch(/"type":"EarlierOrderCancelled"/);
    // Not REDUCING, no reconciliation mismatch: the start reconciliation matched.
    // (A loaded machine may trip an alert-only rule such as eventLoopStall: not this test's concern.)
    const breaches = eventLines(engine.stdout(), 'RiskLimitBreached');
    expect(breaches.filter((breach) => breach['rule'] === 'reconciliation')).toEqual([]);
    expect(engine.stdout()).not.toMatch(/unknown here/);
    const state = await waitFor('a heartbeat', () => lastHeartbeat(engine.stdout())?.state);
    expect(state).toBe('SAFE');
    // Every fill once: the engine's position is the venue's.
    venue.book.fillMarketOrders = false;
    await waitFor('the venue to send its last fills', () =>
      venue.book.fillsInFlight() === 0 ? true : undefined,
    );
    const atVenue = venue.book.netFilled('ACME', 'EURUSD');
    const held = await waitFor(
      `the engine's position to be the venue's ${atVenue}`,
      () => {
        const position = lastHeartbeat(engine.stdout())?.position;
        return position === atVenue ? position : undefined;
      },
      10_000,
    ).catch((error: unknown) => {
      throw new Error(
        `${String(error)}: the engine holds ${lastHeartbeat(engine.stdout())?.position}`,
      );
    });
    expect(held).toBe(atVenue);
  }, 120_000);

  it('stays REDUCING, naming the order, when the venue will not cancel it', async () => {
    const setup = await setUp('fix-earlier-refused');
    const { venue } = setup;
    const resting = await crashWithRestingOrder(setup);
    venue.book.refuseCancelOf.add(resting);
    const engine = await setup.run(false);
    const breach = await waitFor(
      'the reconciliation rule to trip',
      () => eventLines(engine.stdout(), 'RiskLimitBreached')[0],
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nstdout: ${engine.stdout().slice(-3000)}`);
    });
    expect(JSON.stringify(breach)).toMatch(/reconciliation/);
    const mismatches = eventLines(engine.stdout(), 'VenueReported').filter(
      (detail) => detail['kind'] === 'reconciliation-mismatch',
    );
    expect(mismatches.map((detail) => String(detail['detail'])).join('\n')).toMatch(
      /not cancelled/,
    );
    expect(venue.book.openOrders('ACME').map((order) => order.clientOrderId)).toContain(resting);
    expect(eventLines(engine.stdout(), 'EarlierOrderCancelled')).toEqual([]);
  }, 120_000);
});

/** Every journal file under the state directory, concatenated. */
async function journaled(state: string): Promise<string> {
  const files = await readdir(state, { recursive: true });
  const journals = files.filter((file) => file.endsWith('.jsonl'));
  const texts = await Promise.all(journals.map((file) => readFile(path.join(state, file), 'utf8')));
  return texts.join('\n');
}

/** The `detail` of each logged engine event of `type`. */
function eventLines(stdout: string, type: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.includes(`"event":"${type}"`))
    .map((line) => (JSON.parse(line) as { detail: Record<string, unknown> }).detail);
}

/** The engine's last logged heartbeat: its kill-switch state and EURUSD position. */
function lastHeartbeat(stdout: string): { state: string; position: number } | undefined {
  const lines = stdout.split('\n').filter((line) => line.includes('"event":"Heartbeat"'));
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  const parsed = JSON.parse(last) as {
    report: {
      enforcedState: string;
      risk?: { positions: { symbol: string; quantity: number }[] };
    };
  };
  const positions = parsed.report.risk?.positions ?? [];
  const position = positions.find((entry) => entry.symbol === 'EURUSD')?.quantity ?? 0;
  return { state: parsed.report.enforcedState, position };
}

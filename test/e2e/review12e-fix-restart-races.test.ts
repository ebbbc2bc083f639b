// Review of issue 12 (restart cancels the earlier run's orders), adversarial: a FIX engine
// SIGKILLed with a limit order resting at the local venue, restarted under the same engine id,
// with the venue or the disk misbehaving around the restart's cancel step.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDirectory, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';
import { FixVenue } from '../support/fix-venue.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** One resting limit buy of 700 at 1.09 on the first tick, then a market order every 5th tick. */
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
  const directory = await scratchDirectory(`livegate-rev12e-${name}-`);
  const strategy = path.join(directory, 'resting-then-periodic.mjs');
  await writeFile(strategy, RESTING_THEN_PERIODIC);
  const state = path.join(directory, 'state');
  const run = async (rest: boolean): Promise<RunningCli> => {
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
        'log: { level: debug }',
        '',
      ].join('\n'),
    );
    const engine = startCli(['run', '--config', config, '--state-dir', state, '--engine-id', name]);
    cleanups.push(async () => {
      engine.child.kill('SIGKILL');
      await engine.exited;
    });
    return engine;
  };
  return { venue, run, state };
}

/** Calls `before` ahead of the venue handling each application message (a hook into the venue). */
function beforeVenueHandles(
  venue: FixVenue,
  before: (client: string, msgType: string, message: Record<string, unknown>) => void,
): void {
  const handle = venue.applicationMessage.bind(venue);
  venue.applicationMessage = (client, msgType, message) => {
    before(client, msgType, message);
    handle(client, msgType, message);
  };
}

describe('review 12e: a FIX engine restarted with an earlier order resting at the venue', () => {
  // Was broken: a partial fill racing the restart's cancel was audited as "cancelled, 700 left
  // unfilled" (leftQuantity came from the first mass status); now from the cancel's report.
  it('audits what the cancel left unfilled when the venue fills part of the order as the cancel arrives', async () => {
    const setup = await setUp('rev12e-fill-race');
    const { venue } = setup;
    const engine = await setup.run(true);
    const resting = await waitFor(
      'a resting limit order and 4 market orders',
      () => {
        const open = venue.book.openOrders('ACME').filter((order) => order.price === 1.09);
        return open.length === 1 && venue.messagesFrom('DESK', 'D').length >= 5
          ? open[0]!.clientOrderId
          : undefined;
      },
      30_000,
    );
    engine.child.kill('SIGKILL');
    await engine.exited;
    // The market trades 300 against the order between the restart's mass status and its cancel.
    beforeVenueHandles(venue, (client, msgType, message) => {
      if (client === 'DESK' && msgType === 'F' && message['OrigClOrdID'] === resting)
        venue.book.trade('EURUSD', 1.09, 300);
    });
    const restarted = await setup.run(false);
    const audit = await waitFor(
      'the EarlierOrderCancelled event',
      () => eventLines(restarted.stdout(), 'EarlierOrderCancelled')[0],
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nstdout: ${restarted.stdout().slice(-3000)}`);
    });
    const order = venue.book.filledOrders('ACME').concat(venue.book.openOrders('ACME'));
    expect(order.find((o) => o.clientOrderId === resting)).toBeUndefined(); // cancelled, not open
    venue.book.fillMarketOrders = false;
    await waitFor('the venue to send its last fills', () =>
      venue.book.fillsInFlight() === 0 ? true : undefined,
    );
    const atVenue = venue.book.netFilled('ACME', 'EURUSD');
    const held = await waitFor(
      `the engine's position to be the venue's ${atVenue}`,
      () => (lastHeartbeat(restarted.stdout())?.position === atVenue ? atVenue : undefined),
      10_000,
    ).catch(() => lastHeartbeat(restarted.stdout())?.position);
    console.log(JSON.stringify({ audit, atVenue, held }));
    expect(held).toBe(atVenue);
    expect(audit).toMatchObject({ clientOrderId: resting, leftQuantity: 400 });
  }, 120_000);

  // Was broken: an unwritable .orders file was silent (FixOrderFile.writeFailure was read by
  // nothing) and orders still went; a crash before the journal flush left the restart blind.
  // Now an order whose .orders line cannot be written is rejected before it leaves.
  it('cancels on restart, or never sends, an order whose .orders line could not be written', async () => {
    const setup = await setUp('rev12e-orders-unwritable');
    const { venue } = setup;
    // The session's .orders path is a directory: every append fails (EISDIR); the .seqnums is fine.
    const ordersPath = path.join(setup.state, 'fix', 'DESK-VENUE.orders');
    await mkdir(ordersPath, { recursive: true });
    const engine = await setup.run(true);
    const rejections = await waitFor(
      'the engine to reject orders it cannot record',
      () => {
        const rejected = eventLines(engine.stdout(), 'OrderRejected');
        return rejected.length >= 2 ? rejected : undefined;
      },
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nstdout: ${engine.stdout().slice(-3000)}`);
    });
    engine.child.kill('SIGKILL');
    await engine.exited;
    const reasons = rejections.map((detail) => String(detail['reason']));
    console.log(JSON.stringify({ reasons: reasons.slice(0, 2) }));
    for (const reason of reasons) {
      expect(reason).toContain('FIX_ORDERS_UNSAVED');
      expect(reason).toContain(ordersPath);
      expect(reason).toContain('EISDIR');
    }
    // Never sent: nothing reached the venue, nothing rests there.
    expect(venue.messagesFrom('DESK', 'D')).toHaveLength(0);
    expect(venue.book.openOrders('ACME')).toHaveLength(0);
  }, 120_000);
});

function eventLines(stdout: string, type: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.includes(`"event":"${type}"`))
    .map((line) => (JSON.parse(line) as { detail: Record<string, unknown> }).detail);
}

function lastHeartbeat(stdout: string): { state: string; position: number } | undefined {
  const lines = stdout.split('\n').filter((line) => line.includes('"event":"Heartbeat"'));
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  const parsed = JSON.parse(last) as {
    report: { enforcedState: string; risk?: { positions: { symbol: string; quantity: number }[] } };
  };
  const positions = parsed.report.risk?.positions ?? [];
  const position = positions.find((entry) => entry.symbol === 'EURUSD')?.quantity ?? 0;
  return { state: parsed.report.enforcedState, position };
}

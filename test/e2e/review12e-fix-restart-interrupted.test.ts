// Review of issue 12, adversarial, what held: a FIX restart's cancel step SIGKILLed before the
// venue got the cancel, and a cancel answered after fix.requestTimeoutMs.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
  type CliResult,
  type RunningCli,
} from '../support/cli-harness.js';
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
  /** The restarted (trading) run's config, written when it starts. */
  readonly config: string;
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
  return { venue, run, state, config: path.join(directory, 'livegate-trade.yaml') };
}

/** `intercept` sees each application message first; the venue handles it unless it says 'drop'. */
function interceptAtVenue(
  venue: FixVenue,
  intercept: (
    client: string,
    msgType: string,
    message: Record<string, unknown>,
    handle: () => void,
  ) => 'drop' | void,
): void {
  const handle = venue.applicationMessage.bind(venue);
  venue.applicationMessage = (client, msgType, message) => {
    const go = () => handle(client, msgType, message);
    if (intercept(client, msgType, message, go) !== 'drop') go();
  };
}

async function crashWithRestingOrder(setup: Setup): Promise<string> {
  const engine = await setup.run(true);
  const resting = await waitFor(
    'a resting limit order and 4 market orders',
    () => {
      const open = setup.venue.book.openOrders('ACME').filter((order) => order.price === 1.09);
      return open.length === 1 && setup.venue.messagesFrom('DESK', 'D').length >= 5
        ? open[0]!.clientOrderId
        : undefined;
    },
    30_000,
  );
  engine.child.kill('SIGKILL');
  await engine.exited;
  return resting;
}

describe('review 12e: the restart cancel step interrupted or answered late (held)', () => {
  it('a restart SIGKILLed as its cancel leaves (the venue never got it): the next restart cancels', async () => {
    const setup = await setUp('rev12e-kill-mid-cancel');
    const { venue } = setup;
    const resting = await crashWithRestingOrder(setup);
    const second = { engine: undefined as RunningCli | undefined, dropped: 0 };
    interceptAtVenue(venue, (client, msgType, message) => {
      if (client !== 'DESK' || msgType !== 'F' || message['OrigClOrdID'] !== resting) return;
      if (second.dropped > 0) return;
      second.dropped += 1;
      second.engine?.child.kill('SIGKILL');
      return 'drop';
    });
    second.engine = await setup.run(false);
    await second.engine.exited;
    expect(second.dropped).toBe(1);
    expect(venue.book.openOrders('ACME').map((o) => o.clientOrderId)).toContain(resting);
    const third = await setup.run(false);
    await waitFor(
      'the third run to cancel it',
      () => eventLines(third.stdout(), 'EarlierOrderCancelled')[0],
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nstdout: ${third.stdout().slice(-3000)}`);
    });
    expect(venue.book.openOrders('ACME').map((o) => o.clientOrderId)).not.toContain(resting);
  }, 120_000);

  it('a cancel the venue answers after fix.requestTimeoutMs leaves the engine REDUCING, naming it', async () => {
    const setup = await setUp('rev12e-late-cancel');
    const { venue } = setup;
    const resting = await crashWithRestingOrder(setup);
    interceptAtVenue(venue, (client, msgType, message, handle) => {
      if (client !== 'DESK' || msgType !== 'F' || message['OrigClOrdID'] !== resting) return;
      setTimeout(handle, 2_500); // requestTimeoutMs is 2000
      return 'drop';
    });
    const engine = await setup.run(false);
    const breach = await waitFor(
      'the reconciliation rule to trip',
      () =>
        eventLines(engine.stdout(), 'RiskLimitBreached').find((b) =>
          JSON.stringify(b).includes('reconciliation'),
        ),
      30_000,
    );
    expect(breach).toBeDefined();
    const mismatches = eventLines(engine.stdout(), 'VenueReported')
      .filter((detail) => detail['kind'] === 'reconciliation-mismatch')
      .map((detail) => String(detail['detail']));
    expect(mismatches.join('\n')).toMatch(/not cancelled/);
    await waitFor('the late cancel to land', () =>
      venue.book.openOrders('ACME').some((o) => o.clientOrderId === resting) ? undefined : true,
    );
  }, 120_000);

  it('a livegate kill landing during the restart cancel step: confirmed flat, and nothing placed after it', async () => {
    const setup = await setUp('rev12e-kill-during-cancel');
    const { venue } = setup;
    const resting = await crashWithRestingOrder(setup);
    const killing: { result?: Promise<CliResult> } = {};
    interceptAtVenue(venue, (client, msgType) => {
      if (client !== 'DESK' || msgType !== 'AF' || killing.result !== undefined) return;
      // The restart's first mass status: the desk presses KILL now.
      killing.result = runCli([
        'kill',
        '--config',
        setup.config,
        '--state-dir',
        setup.state,
        '--reason',
        'desk kill during the restart',
        '--timeout',
        '8000',
        '--json',
      ]);
    });
    const engine = await setup.run(false);
    await waitFor('the kill to start', () => killing.result, 30_000);
    const kill = await killing.result!;
    const ordersAtKill = venue.messagesFrom('DESK', 'D').length;
    console.log(JSON.stringify({ code: kill.code, stdout: kill.stdout.slice(0, 400) }));
    expect(kill.code, kill.stderr).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(venue.messagesFrom('DESK', 'D').length).toBe(ordersAtKill);
    expect(venue.book.openOrders('ACME')).toEqual([]);
    expect(venue.book.openOrders('ACME').map((o) => o.clientOrderId)).not.toContain(resting);
    expect(engine.child.exitCode).toBeNull();
  }, 120_000);
});

function eventLines(stdout: string, type: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.includes(`"event":"${type}"`))
    .map((line) => (JSON.parse(line) as { detail: Record<string, unknown> }).detail);
}

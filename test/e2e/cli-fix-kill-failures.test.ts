// `livegate kill` against the local FIX venue when the venue does not play along: it logs the
// kill's session out mid-kill, its mass cancel leaves orders open, or it refuses both the mass
// cancel and one order's cancel. Every engine is dead; the receipt must say what is still open.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, scratchDirectory } from '../support/cli-harness.js';
import { FixVenue } from '../support/fix-venue.js';

let venue: FixVenue | undefined;
afterEach(async () => {
  await venue?.stop();
  venue = undefined;
});

interface Receipt {
  confirmed: boolean;
  cancelled: number;
  rounds: number;
  stillOpen: { clientOrderId?: string }[];
  problem?: string;
}

/** A venue with three resting orders of the desk's account, placed before every engine died. */
async function bookWithOrders(): Promise<FixVenue> {
  venue = await FixVenue.start({ accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' } });
  for (const id of ['11e6a7e0a1', '11e6a7e0a2', '11e6a7e0a3']) {
    venue.book.handle('DESK', 'ACME', 'D', {
      ClOrdID: id,
      Instrument: { Symbol: 'EURUSD' },
      Side: '1',
      OrderQtyData: { OrderQty: 1000 },
      OrdType: '2',
      Price: 1.05,
    });
  }
  expect(venue.book.openOrders('ACME')).toHaveLength(3);
  return venue;
}

async function kill(port: number) {
  const directory = await scratchDirectory('livegate-fix-kill-');
  const config = path.join(directory, 'livegate.yaml');
  await writeFile(
    config,
    [
      'broker: { kind: fix }',
      'fix:',
      '  host: 127.0.0.1',
      `  port: ${port}`,
      '  senderCompId: DESK',
      '  targetCompId: VENUE',
      '  killSenderCompId: DESK-KILL',
      '  reconnectDelayMs: 100',
      '  requestTimeoutMs: 1000',
      'http: { enabled: false }',
      '',
    ].join('\n'),
  );
  const common = ['--config', config, '--state-dir', path.join(directory, 'state')];
  const init = await runCli(['init', ...common, '--reason', 'set up']);
  expect(init.code, init.stderr).toBe(0);
  const result = await runCli([
    'kill',
    ...common,
    '--reason',
    'drill',
    '--timeout',
    '8000',
    '--json',
  ]);
  if (result.stdout.trim() === '') throw new Error(`kill printed nothing: ${result.stderr}`);
  const receipt = (JSON.parse(result.stdout) as { venues: { receipts: Receipt[] } }).venues
    .receipts[0]!;
  return { result, receipt };
}

describe('livegate kill at a FIX venue that does not play along', () => {
  it('says NOT CONFIRMED and why, exit 1, when the venue logs the kill session out mid-kill', async () => {
    const venue = await bookWithOrders();
    venue.logoutOnMassCancel = true;
    const { result, receipt } = await kill(venue.port);
    expect(result.code, result.stderr).toBe(1);
    expect(receipt.confirmed).toBe(false);
    expect(receipt.problem).toMatch(/the venue logged the session out: "mass cancel not permitted/);
    // The logout ends the kill at that venue at once: no second round, no second mass cancel.
    expect(receipt.rounds).toBe(1);
    expect(venue.messagesFrom('DESK-KILL', 'q')).toHaveLength(1);
    // What was open before the kill and never seen gone is named.
    expect(receipt.stillOpen.map((order) => order.clientOrderId).sort()).toEqual([
      '11e6a7e0a1',
      '11e6a7e0a2',
      '11e6a7e0a3',
    ]);
    expect(result.stderr).toMatch(/ERR_VENUE_UNCONFIRMED/);
  });

  it('cancels one by one what a partly done mass cancel left open, and is flat', async () => {
    const venue = await bookWithOrders();
    venue.book.massCancelKeeps.add('11e6a7e0a2');
    const { result, receipt } = await kill(venue.port);
    expect(result.code, result.stderr).toBe(0);
    expect(receipt).toMatchObject({ confirmed: true, cancelled: 3, stillOpen: [] });
    expect(venue.messagesFrom('DESK-KILL', 'F')).toEqual([
      expect.objectContaining({ OrigClOrdID: '11e6a7e0a2' }),
    ]);
    expect(venue.book.openOrders()).toEqual([]);
  });

  it('names the order whose cancel the venue refused after refusing the mass cancel, exit 1', async () => {
    const venue = await bookWithOrders();
    venue.book.refuseMassCancel = true;
    venue.book.refuseCancelOf.add('11e6a7e0a3');
    const { result, receipt } = await kill(venue.port);
    expect(result.code, result.stderr).toBe(1);
    expect(receipt.confirmed).toBe(false);
    expect(receipt.stillOpen.map((order) => order.clientOrderId)).toEqual(['11e6a7e0a3']);
    expect(venue.book.openOrders().map((order) => order.clientOrderId)).toEqual(['11e6a7e0a3']);
  });
});

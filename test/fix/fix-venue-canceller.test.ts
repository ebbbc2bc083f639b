// A kill at a FIX venue with no engine: the kill's own session (fix.killSenderCompId, its own
// logon variables) mass-cancels the account, falls back to per-order cancels when the venue refuses,
// and reads the book back with a mass status until it is flat.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFixCanceller } from '../../src/adapters/fix-adapters.js';
import { FixBroker } from '../../src/adapters/fix/fix-broker.js';
import { configSchema } from '../../src/config/schema.js';
import { confirmVenueFlat } from '../../src/killswitch/venue-confirmation.js';
import { order, recordingListener } from '../contracts/broker.contract.js';
import { FixVenue } from '../support/fix-venue.js';

/** The kill session's sequence numbers live in the state dir: one per test, as per venue. */
function scratchStateDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'livegate-fix-kill-'));
}

let venue: FixVenue | undefined;
const closing: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(closing.splice(0).map((item) => item.close()));
  await venue?.stop();
  venue = undefined;
});

/** The desk's engine session (DESK) with three resting orders, and a manual session's order. */
async function bookWithOrders(refuseMassCancel: boolean) {
  venue = await FixVenue.start({ accounts: { DESK: 'ACME', KILL: 'ACME', MANUAL: 'ACME' } });
  venue.book.refuseMassCancel = refuseMassCancel;
  const engine = new FixBroker({
    host: '127.0.0.1',
    port: venue.port,
    senderCompId: 'DESK',
    targetCompId: venue.compId,
  });
  const manual = new FixBroker({
    host: '127.0.0.1',
    port: venue.port,
    senderCompId: 'MANUAL',
    targetCompId: venue.compId,
    // Not a livegate client order id: an order placed by hand beside livegate.
  });
  closing.push(engine, manual);
  await engine.connect(recordingListener());
  await manual.connect(recordingListener());
  for (let index = 0; index < 3; index += 1) {
    engine.submit(order({ type: 'limit', price: 1.05 }));
  }
  venue.book.handle('MANUAL', 'ACME', 'D', {
    ClOrdID: 'hand-1',
    Instrument: { Symbol: 'EURUSD' },
    Side: '2',
    OrderQtyData: { OrderQty: 5 },
    OrdType: '2',
    Price: 1.2,
  });
  const deadline = performance.now() + 5000;
  while (venue.book.openOrders('ACME').length < 4 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  expect(venue.book.openOrders('ACME')).toHaveLength(4);
  return venue;
}

function killConfig(port: number, stateDir: string) {
  return configSchema.parse({
    stateDir,
    broker: { kind: 'fix' },
    fix: {
      host: '127.0.0.1',
      port,
      senderCompId: 'DESK',
      targetCompId: 'VENUE',
      killSenderCompId: 'KILL',
      requestTimeoutMs: 3000,
    },
  });
}

describe('FIX venue canceller (the kill, no engine needed)', () => {
  it('flattens the account with one mass cancel and confirms it by mass status', async () => {
    const venue = await bookWithOrders(false);
    const env = { LIVEGATE_KILL_FIX_USERNAME: 'cancel-only', LIVEGATE_KILL_FIX_PASSWORD: 'pw' };
    const { canceller, credentials } = createFixCanceller(
      killConfig(venue.port, await scratchStateDir()),
      env,
    );
    closing.push(canceller);
    const receipt = await confirmVenueFlat(canceller, {
      scope: 'account',
      killWrittenAt: Date.now(),
      startedAt: performance.now(),
      timeoutMs: 5000,
      credentials,
    });
    expect(receipt).toMatchObject({ confirmed: true, cancelled: 4, stillOpen: [], rounds: 1 });
    expect(receipt.positions).toBeNull();
    expect(credentials).toBe('LIVEGATE_KILL_FIX_*');
    expect(venue.book.openOrders()).toEqual([]);
    expect(venue.logons.get('KILL')).toMatchObject({ Username: 'cancel-only' });
    expect(venue.messagesFrom('KILL', 'q')).toEqual([
      expect.objectContaining({ MassCancelRequestType: '7' }),
    ]);
    expect(venue.messagesFrom('KILL', 'F')).toEqual([]);
  });

  it('cancels order by order when the venue refuses the mass cancel, and is still flat', async () => {
    const venue = await bookWithOrders(true);
    const { canceller } = createFixCanceller(killConfig(venue.port, await scratchStateDir()), {});
    closing.push(canceller);
    const receipt = await confirmVenueFlat(canceller, {
      scope: 'account',
      killWrittenAt: Date.now(),
      startedAt: performance.now(),
      timeoutMs: 5000,
    });
    expect(receipt).toMatchObject({ confirmed: true, cancelled: 4, stillOpen: [] });
    expect(venue.messagesFrom('KILL', 'F')).toHaveLength(4);
    expect(venue.book.openOrders()).toEqual([]);
  });

  it('with scope own cancels only livegate orders and leaves the hand-placed one', async () => {
    const venue = await bookWithOrders(false);
    const { canceller } = createFixCanceller(killConfig(venue.port, await scratchStateDir()), {});
    closing.push(canceller);
    const receipt = await confirmVenueFlat(canceller, {
      scope: 'own',
      killWrittenAt: Date.now(),
      startedAt: performance.now(),
      timeoutMs: 5000,
    });
    expect(receipt).toMatchObject({ confirmed: true, cancelled: 3, leftOpen: 1 });
    expect(venue.book.openOrders().map((open) => open.clientOrderId)).toEqual(['hand-1']);
  });
});

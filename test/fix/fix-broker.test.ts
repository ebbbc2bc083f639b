// The FIX broker against the local FIX venue in a real socket: fills that arrive later and in
// parts, rejects, a dropped session whose missed reports come back by resend, a refused mass
// cancel (one cancel per order instead), cancel-on-disconnect, and reconciliation by mass status.
import { afterEach, describe, expect, it } from 'vitest';
import { FixBroker } from '../../src/adapters/fix/fix-broker.js';
import type { FixBrokerOptions } from '../../src/adapters/fix/fix-options.js';
import type { VenueReport } from '../../src/core/ports.js';
import { order, recordingListener } from '../contracts/broker.contract.js';
import { FixVenue, type FixVenueOptions } from '../support/fix-venue.js';

const WAIT_MS = 5_000;

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + WAIT_MS;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${WAIT_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

let venue: FixVenue | undefined;
const brokers: FixBroker[] = [];

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((broker) => broker.close()));
  await venue?.stop();
  venue = undefined;
});

async function setUp(
  venueOptions: FixVenueOptions = {},
  brokerOptions: Partial<FixBrokerOptions> = {},
) {
  venue = await FixVenue.start(venueOptions);
  const broker = new FixBroker({
    host: '127.0.0.1',
    port: venue.port,
    senderCompId: 'DESK1',
    targetCompId: venue.compId,
    username: 'desk',
    password: 'secret',
    reconnectDelayMs: 50,
    requestTimeoutMs: 3000,
    ...brokerOptions,
  });
  brokers.push(broker);
  const reports: VenueReport[] = [];
  const listener = {
    ...recordingListener(),
    onVenueReport: (report: VenueReport) => reports.push(report),
  };
  await broker.connect(listener);
  return { venue, broker, listener, reports };
}

function restingBuy(quantity = 3) {
  return order({ type: 'limit', side: 'buy', price: 1.05, quantity });
}

describe('FixBroker against a local FIX venue', () => {
  it('logs on with the credentials and sends the order with livegate client order id as ClOrdID', async () => {
    const { venue, broker } = await setUp();
    const limit = restingBuy();
    broker.submit(limit);
    await waitFor(() => venue.book.openOrders('DESK1').length === 1, 'the order at the venue');
    expect(venue.logons.get('DESK1')).toMatchObject({ Username: 'desk', Password: 'secret' });
    const sent = venue.messagesFrom('DESK1', 'D')[0]!;
    expect(sent['ClOrdID']).toMatch(/^11e6a7e0[0-9a-f]{24}$/);
    expect(sent).toMatchObject({
      OrdType: '2',
      Price: 1.05,
      Side: '1',
      Instrument: { Symbol: 'EURUSD' },
    });
  });

  it('reports a market order filled in parts after submit() returned, then nothing else', async () => {
    const { broker, listener } = await setUp({ fillParts: 3, fillDelayMs: 20 });
    const market = order({ quantity: 3 });
    broker.submit(market);
    expect(listener.fills).toEqual([]);
    await waitFor(() => listener.fills.length === 3, 'three partial fills');
    expect(listener.fills.map((fill) => fill.quantity)).toEqual([1, 1, 1]);
    expect(
      listener.fills.every((fill) => fill.orderId === market.id && fill.price === 1.1002),
    ).toBe(true);
    expect(broker.openOrders()).toEqual([]);
    expect(listener.done).toEqual([]);
  });

  it('ends a resting order part-filled by the market and then cancelled with one done report', async () => {
    const { venue, broker, listener } = await setUp();
    const limit = restingBuy(3);
    broker.submit(limit);
    await waitFor(() => venue.book.openOrders().length === 1, 'the order resting');
    venue.book.trade('EURUSD', 1.04, 1);
    await waitFor(() => listener.fills.length === 1, 'a partial fill');
    expect(broker.openOrders()).toHaveLength(1);
    expect(await broker.cancel(limit.id)).toBe(true);
    expect(listener.done).toEqual([{ orderId: limit.id, reason: 'cancelled' }]);
    expect(broker.openOrders()).toEqual([]);
  });

  it('passes the venue reject of an order to onReject with its text', async () => {
    const { venue, broker, listener } = await setUp();
    venue.book.rejectSymbols.add('XAUUSD');
    const rejected = order({ symbol: 'XAUUSD' });
    broker.submit(rejected);
    await waitFor(() => listener.rejects.length === 1, 'a reject');
    expect(listener.rejects[0]).toEqual({
      orderId: rejected.id,
      reason: 'VENUE_REJECTED: XAUUSD is not traded here',
    });
    expect(broker.openOrders()).toEqual([]);
  });

  it('ends an order the venue rejects at the session level (35=3) or as a business (35=j) as rejected', async () => {
    const { venue, broker, listener } = await setUp();
    venue.book.sessionRejectSymbols.add('XAGUSD');
    venue.book.businessRejectSymbols.add('XPTUSD');
    const sessionRejected = order({ symbol: 'XAGUSD', type: 'limit', price: 30 });
    const businessRejected = order({ symbol: 'XPTUSD', type: 'limit', price: 900 });
    broker.submit(sessionRejected);
    broker.submit(businessRejected);
    await waitFor(() => listener.rejects.length === 2, 'both rejects');
    expect(listener.rejects).toEqual([
      {
        orderId: sessionRejected.id,
        reason:
          'VENUE_REJECTED: session reject: value is incorrect (out of range) for tag 55: XAGUSD (SessionRejectReason 5)',
      },
      { orderId: businessRejected.id, reason: 'VENUE_REJECTED: XPTUSD: unknown security' },
    ]);
    // Neither is left working (exposure counted), and the session carries on.
    expect(broker.openOrders()).toEqual([]);
    const next = order({ quantity: 2 });
    broker.submit(next);
    await waitFor(() => listener.fills.length === 2, 'the next order filled');
  });

  it('recovers a fill sent while the session was down through ResendRequest, once', async () => {
    const { venue, broker, listener, reports } = await setUp();
    const limit = restingBuy(2);
    broker.submit(limit);
    await waitFor(() => venue.book.openOrders().length === 1, 'the order resting');
    venue.drop('DESK1');
    await waitFor(() => reports.some((report) => report.kind === 'disconnected'), 'the drop seen');
    const whileDown = order();
    broker.submit(whileDown);
    expect(listener.rejects[0]?.reason).toMatch(/^FIX_SESSION_DOWN: /);
    // The venue fills the order while livegate is away: the report waits for its resend.
    venue.book.trade('EURUSD', 1.05);
    await waitFor(() => listener.fills.length === 1, 'the fill, resent after the reconnect');
    expect(listener.fills[0]).toMatchObject({ orderId: limit.id, quantity: 2, price: 1.05 });
    const resendRequests = venue.wire.filter(
      (entry) => entry.client === 'DESK1' && entry.text.includes('|35=2|'),
    );
    expect(resendRequests.length).toBeGreaterThan(0);
    // The second logon did not reset the numbers (that would lose the gap).
    const logons = venue.wire.filter((entry) => entry.text.includes('|35=A|'));
    expect(logons.at(-1)?.text).not.toContain('|141=Y|');
    expect(broker.openOrders()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(listener.fills).toHaveLength(1);
  });

  it('cancels order by order when the venue refuses the mass cancel', async () => {
    const { venue, broker, listener, reports } = await setUp();
    const orders = [restingBuy(), restingBuy(), restingBuy()];
    for (const limit of orders) broker.submit(limit);
    await waitFor(() => venue.book.openOrders().length === 3, 'three resting orders');
    venue.book.refuseMassCancel = true;
    expect(await broker.cancelAll()).toBe(3);
    expect(venue.messagesFrom('DESK1', 'q')).toHaveLength(1);
    expect(venue.messagesFrom('DESK1', 'F')).toHaveLength(3);
    expect(venue.book.openOrders()).toEqual([]);
    expect(listener.done.map((done) => done.reason)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
    expect(reports.some((report) => report.detail.startsWith('mass cancel refused'))).toBe(true);
  });

  for (const refuseWith of ['business-reject', 'session-reject'] as const) {
    it(`cancels order by order at once when the venue refuses the mass cancel with a ${refuseWith} (35=${refuseWith === 'business-reject' ? 'j' : '3'})`, async () => {
      const { venue, broker, reports } = await setUp();
      for (const limit of [restingBuy(), restingBuy()]) broker.submit(limit);
      await waitFor(() => venue.book.openOrders().length === 2, 'two resting orders');
      venue.book.refuseMassCancel = true;
      venue.book.refuseWith = refuseWith;
      const started = performance.now();
      expect(await broker.cancelAll()).toBe(2);
      // Answered by the reject, not by the 3 s request timeout.
      expect(performance.now() - started).toBeLessThan(2000);
      expect(venue.messagesFrom('DESK1', 'F')).toHaveLength(2);
      expect(venue.book.openOrders()).toEqual([]);
      expect(reports.some((report) => report.detail.startsWith('mass cancel refused'))).toBe(true);
    });

    it(`fails a cancel the venue refuses with a ${refuseWith} at once, with its text`, async () => {
      const { venue, broker } = await setUp();
      const limit = restingBuy();
      broker.submit(limit);
      await waitFor(() => venue.book.openOrders().length === 1, 'the order resting');
      venue.book.refuseCancelOf.add(venue.book.openOrders()[0]!.clientOrderId);
      venue.book.refuseWith = refuseWith;
      const started = performance.now();
      await expect(broker.cancel(limit.id)).rejects.toThrow(
        /cancel refused by the venue: (session reject: )?cancel is not permitted/,
      );
      expect(performance.now() - started).toBeLessThan(2000);
      expect(broker.openOrders().map((open) => open.id)).toEqual([limit.id]);
    });
  }

  it('asks for cancel-on-disconnect in the Logon, and the venue cancels when the session drops', async () => {
    const { venue, broker, listener, reports } = await setUp(
      { cancelOnDisconnectTag: 8013 },
      { cancelOnDisconnect: { tag: 8013, value: 'Y' } },
    );
    expect(venue.wire.find((entry) => entry.text.includes('|35=A|'))?.text).toContain('|8013=Y|');
    expect(reports).toContainEqual(expect.objectContaining({ kind: 'dead-man-armed' }));
    const limit = restingBuy();
    broker.submit(limit);
    await waitFor(() => venue.book.openOrders().length === 1, 'the order resting');
    venue.drop('DESK1');
    await waitFor(() => venue.book.openOrders().length === 0, 'the venue cancelling on disconnect');
    // The venue's cancel comes back by resend: the order ended without livegate asking.
    await waitFor(() => listener.done.length === 1, 'the cancel, resent after the reconnect');
    expect(listener.done[0]).toEqual({ orderId: limit.id, reason: 'expired' });
  });

  it('reconciles against the mass status: an order gone at the venue is a difference', async () => {
    const { venue, broker } = await setUp();
    const limit = restingBuy();
    broker.submit(limit);
    await waitFor(() => venue.book.openOrders().length === 1, 'the order resting');
    await waitFor(() => venue.messagesFrom('DESK1', 'D').length === 1, 'the order received');
    expect(await broker.reconcile(new Map())).toEqual({ matched: true, differences: [] });
    // The venue loses the order without a report (a restart, a manual cancel at its desk).
    venue.book.openOrders()[0]!.open = false;
    const result = await broker.reconcile(new Map());
    expect(result.matched).toBe(false);
    expect(result.differences).toEqual([`order ${limit.id} open here, not at the venue`]);
    expect(venue.messagesFrom('DESK1', 'AF')).toHaveLength(2);
  });
});

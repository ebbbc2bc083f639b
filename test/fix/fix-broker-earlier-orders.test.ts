// A FIX broker started again after a crash cancels the orders its engine id's earlier runs left
// resting, and only those: another engine's orders on the same account stay, and are still
// reported by the reconciliation as before.
import { afterEach, describe, expect, it } from 'vitest';
import { FixBroker } from '../../src/adapters/fix/fix-broker.js';
import { order, recordingListener } from '../contracts/broker.contract.js';
import { FixVenue } from '../support/fix-venue.js';

let venue: FixVenue | undefined;
const brokers: FixBroker[] = [];

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((broker) => broker.close()));
  await venue?.stop();
  venue = undefined;
});

function connected(senderCompId: string, namespace: string): FixBroker {
  const broker = new FixBroker({
    host: '127.0.0.1',
    port: venue!.port,
    senderCompId,
    targetCompId: venue!.compId,
    clientOrderIdNamespace: namespace,
    reconnectDelayMs: 50,
    requestTimeoutMs: 3000,
  });
  brokers.push(broker);
  return broker;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('FixBroker.cancelEarlierOrders', () => {
  it("cancels this engine id's earlier resting order and leaves another engine's", async () => {
    venue = await FixVenue.start({ accounts: { DESK1: 'ACME', DESK2: 'ACME' } });
    const ours = order({ type: 'limit', side: 'buy', price: 1.05, quantity: 4 });
    const theirs = order({ type: 'limit', side: 'sell', price: 1.2, quantity: 2 });
    const crashed = connected('DESK1', 'engine-a');
    await crashed.connect(recordingListener());
    crashed.submit(ours);
    const other = connected('DESK2', 'engine-b');
    await other.connect(recordingListener());
    other.submit(theirs);
    await until(() => venue!.book.openOrders('ACME').length === 2, 'both orders resting');
    await crashed.close(); // no cancel on close: its order rests, as after a SIGKILL

    const restarted = connected('DESK1', 'engine-a');
    restarted.recognise({ orders: [ours, theirs], executionIds: [] });
    await restarted.connect(recordingListener());
    const outcomes = await restarted.cancelEarlierOrders();

    expect(outcomes).toEqual([
      expect.objectContaining({
        orderId: ours.id,
        quantity: 4,
        leftQuantity: 4,
        cancelled: true,
      }),
    ]);
    const open = venue.book.openOrders('ACME');
    expect(open.map((resting) => resting.side)).toEqual(['2']);
    const result = await restarted.reconcile(new Map());
    expect(result.differences).toEqual([
      expect.stringMatching(/^order 11e6a7e0[0-9a-f]{24} open at the venue, unknown here: sell 2/),
    ]);
  });

  it('names an earlier order the venue will not cancel, and leaves it open', async () => {
    venue = await FixVenue.start();
    const ours = order({ type: 'limit', side: 'buy', price: 1.05, quantity: 4 });
    const crashed = connected('DESK1', 'engine-a');
    await crashed.connect(recordingListener());
    crashed.submit(ours);
    await until(() => venue!.book.openOrders().length === 1, 'the order resting');
    await crashed.close();
    venue.book.refuseCancelOf.add(venue.book.openOrders()[0]!.clientOrderId);

    const restarted = connected('DESK1', 'engine-a');
    restarted.recognise({ orders: [ours], executionIds: [] });
    await restarted.connect(recordingListener());
    const [outcome] = await restarted.cancelEarlierOrders();

    expect(outcome).toMatchObject({ orderId: ours.id, cancelled: false });
    expect(outcome?.problem).toMatch(/locked by the venue/);
    expect(venue.book.openOrders()).toHaveLength(1);
  });
});

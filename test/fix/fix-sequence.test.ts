// FIX sequence numbers against the local FIX venue in a real socket: kept across a restart (the
// next process logs on with 141=N where the last left off, and trades), a venue that refuses them
// (too low) or resets its own stops the session with why instead of a logon loop, and a message
// lost on the way comes back by ResendRequest, its replay (PossDupFlag) never a second fill.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FixBroker } from '../../src/adapters/fix/fix-broker.js';
import type { FixBrokerOptions } from '../../src/adapters/fix/fix-options.js';
import { sequenceFilePath } from '../../src/adapters/fix/fix-sequence-file.js';
import { order, recordingListener } from '../contracts/broker.contract.js';
import { FixVenue } from '../support/fix-venue.js';

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

async function stateDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'livegate-fix-seq-'));
}

function broker(port: number, options: Partial<FixBrokerOptions> = {}) {
  const made = new FixBroker({
    host: '127.0.0.1',
    port,
    senderCompId: 'DESK1',
    targetCompId: 'VENUE',
    reconnectDelayMs: 50,
    requestTimeoutMs: 3000,
    resetSeqNumOnLogon: false,
    ...options,
  });
  brokers.push(made);
  return made;
}

/** Messages from `client` (the venue names a session only once its Logon is in). */
function wireFrom(venue: FixVenue, client: string): string[] {
  return venue.wire.map((entry) => entry.text).filter((text) => text.includes(`|49=${client}|`));
}

function logonsFrom(venue: FixVenue, client: string): string[] {
  return wireFrom(venue, client).filter((text) => text.includes('|35=A|'));
}

function seqNumOf(message: string): number {
  return Number(/\|34=(\d+)\|/.exec(`|${message}`)?.[1]);
}

describe('FIX sequence numbers', () => {
  it('keeps them across a restart: the next process logs on with 141=N where the last left off, and trades', async () => {
    venue = await FixVenue.start();
    const sequenceFile = sequenceFilePath(await stateDir(), 'DESK1', 'VENUE');
    const first = broker(venue.port, { sequenceFile });
    await first.connect(recordingListener());
    first.submit(order({ type: 'limit', price: 1.05 }));
    await waitFor(() => venue!.book.openOrders().length === 1, 'the first order resting');
    await first.close();
    const sentBefore = wireFrom(venue, 'DESK1').length;
    expect(sentBefore).toBeGreaterThanOrEqual(3); // logon, order, logout
    expect((await readFile(sequenceFile, 'utf8')).trim()).toMatch(/^\d+ \d+$/);

    const second = broker(venue.port, { sequenceFile });
    const listener = recordingListener();
    await second.connect(listener);
    const logon = logonsFrom(venue, 'DESK1').at(-1)!;
    expect(logon).not.toContain('|141=Y|');
    expect(seqNumOf(logon)).toBe(sentBefore + 1);
    const market = order({ quantity: 2 });
    second.submit(market);
    await waitFor(() => listener.fills.length === 2, 'the market order filled in two parts');
    expect(listener.fills.every((fill) => fill.orderId === market.id)).toBe(true);
    // No ResendRequest either way: nothing was lost.
    expect(venue.wire.some((entry) => entry.text.includes('|35=2|'))).toBe(false);
  });

  it('stops with the venue refusal named when it answers the logon with MsgSeqNum too low, once', async () => {
    venue = await FixVenue.start();
    const sequenceFile = sequenceFilePath(await stateDir(), 'DESK1', 'VENUE');
    const first = broker(venue.port, { sequenceFile });
    await first.connect(recordingListener());
    first.submit(order({ type: 'limit', price: 1.05 }));
    await waitFor(() => venue!.book.openOrders().length === 1, 'the order resting');
    await first.close();
    // The numbers go back (a restore from an old backup, another host's state dir).
    await writeFile(sequenceFile, '2 2\n');
    const second = broker(venue.port, { sequenceFile });
    const connecting = second.connect(recordingListener());
    await expect(connecting).rejects.toThrow(
      /logon refused: the venue logged the session out for a sequence number too low \("MsgSeqNum too low, expecting \d+ but received 2".*fix\.resetSeqNumOnLogon/,
    );
    // One refused logon, not a loop of them.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logonsFrom(venue, 'DESK1')).toHaveLength(2);
  });

  it('stops with why when the venue Logon is numbered below what the session expects (the venue reset)', async () => {
    venue = await FixVenue.start();
    const directory = await stateDir();
    const sequenceFile = sequenceFilePath(directory, 'DESK1', 'VENUE');
    await mkdir(path.dirname(sequenceFile), { recursive: true });
    // Yesterday this session had got to 40 from the venue; today the venue starts again at 1.
    await writeFile(sequenceFile, '30 41\n');
    const refused = broker(venue.port, { sequenceFile });
    await expect(refused.connect(recordingListener())).rejects.toThrow(
      /logon refused: the venue's Logon carried MsgSeqNum 1, not above the 40 this session last received/,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logonsFrom(venue, 'DESK1')).toHaveLength(1);
  });

  it('asks for a message lost on the way (35=2) and takes the replay without a second fill', async () => {
    venue = await FixVenue.start();
    const incoming: string[] = [];
    const desk = broker(venue.port, {
      sequenceFile: sequenceFilePath(await stateDir(), 'DESK1', 'VENUE'),
      trace: (direction, text) => {
        if (direction === 'in') incoming.push(text);
      },
    });
    const listener = recordingListener();
    await desk.connect(listener);
    const resting = order({ type: 'limit', side: 'buy', price: 1.05, quantity: 3 });
    desk.submit(resting);
    await waitFor(() => venue!.book.openOrders().length === 1, 'the order resting');
    venue.loseNextMessages('DESK1');
    venue.book.trade('EURUSD', 1.05, 1); // this fill report is lost on the way
    venue.book.trade('EURUSD', 1.05, 1); // this one shows the gap
    await waitFor(() => listener.fills.length === 2, 'both fills, one by resend');
    const resendRequests = venue.wire.filter(
      (entry) => entry.client === 'DESK1' && entry.text.includes('|35=2|'),
    );
    expect(resendRequests).toHaveLength(1);
    expect(incoming.some((text) => text.includes('|35=8|') && text.includes('|43=Y|'))).toBe(true);
    venue.book.trade('EURUSD', 1.05, 1);
    await waitFor(() => listener.fills.length >= 3, 'the last fill');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(listener.fills.map((fill) => fill.quantity)).toEqual([1, 1, 1]);
    expect(desk.openOrders()).toEqual([]);
  });
});

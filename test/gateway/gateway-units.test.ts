// The gateway adapters' pure parts: backoff, the per-symbol tick buffer, frame parsing.
import { describe, expect, it } from 'vitest';
import { reconnectDelay } from '../../src/adapters/gateway/reconnect-delay.js';
import { TickBuffer } from '../../src/adapters/gateway/tick-buffer.js';
import {
  encodeFrame,
  parseFrame,
  readEnvelope,
  type Envelope,
} from '../../src/adapters/gateway/gateway-protocol.js';
import { tickFrame } from '../support/gateway-server.js';

const backoff = { initialDelayMs: 100, maxDelayMs: 1000 };

function envelope(body: Record<string, unknown>): Envelope {
  const read = readEnvelope(JSON.stringify({ seq: 1, ...body }));
  if (typeof read === 'string') throw new Error(read);
  return read;
}

describe('reconnectDelay', () => {
  it('doubles its ceiling per attempt up to maxDelayMs, with full jitter below it', () => {
    const ceilings = [0, 1, 2, 3, 4, 10, 100].map((attempt) =>
      reconnectDelay(attempt, backoff, () => 0.999_999),
    );
    expect(ceilings).toEqual([99, 199, 399, 799, 999, 999, 999]);
    expect(reconnectDelay(3, backoff, () => 0)).toBe(1);
    expect(reconnectDelay(3, backoff, () => 0.5)).toBe(400);
  });
});

describe('TickBuffer', () => {
  it('gives ticks back in arrival order across symbols', () => {
    const buffer = new TickBuffer(10);
    const symbols = ['A', 'B', 'A', 'C', 'B', 'A'];
    symbols.forEach((symbol, index) => buffer.push({ symbol, bid: 1, ask: 1, time: index }));
    expect(buffer.take(4).map((tick) => tick.time)).toEqual([0, 1, 2, 3]);
    expect(buffer.take(10).map((tick) => tick.time)).toEqual([4, 5]);
    expect(buffer.size).toBe(0);
  });

  it('drops the oldest ticks of a full symbol only, and counts them', () => {
    const buffer = new TickBuffer(3);
    buffer.push({ symbol: 'QUIET', bid: 1, ask: 1, time: 0 });
    for (let time = 1; time <= 10; time += 1) buffer.push({ symbol: 'BUSY', bid: 1, ask: 1, time });
    expect(buffer.size).toBe(4);
    expect(buffer.dropped).toBe(7);
    expect(buffer.take(10).map((tick) => `${tick.symbol}@${tick.time}`)).toEqual([
      'QUIET@0',
      'BUSY@8',
      'BUSY@9',
      'BUSY@10',
    ]);
  });
});

describe('gateway frames', () => {
  it('puts type and seq first when encoding, and order types under orderType', () => {
    const text = encodeFrame(
      {
        type: 'order',
        clientOrderId: 'run-1',
        symbol: 'EURUSD',
        side: 'buy',
        quantity: 1,
        orderType: 'market',
      },
      7,
    );
    expect(text).toBe(
      '{"type":"order","seq":7,"clientOrderId":"run-1","symbol":"EURUSD","side":"buy","quantity":1,"orderType":"market"}',
    );
  });

  it('reads every gateway frame of the documented examples', () => {
    expect(parseFrame(envelope({ type: 'hello', protocol: 1, gateway: 'mt5' }))).toMatchObject({
      type: 'hello',
      protocol: 1,
    });
    expect(parseFrame(envelope(tickFrame(0)))).toMatchObject({
      type: 'tick',
      tick: { symbol: 'EURUSD' },
    });
    expect(
      parseFrame(
        envelope({
          type: 'fill',
          clientOrderId: 'a',
          fillId: 'f',
          symbol: 'X',
          side: 'sell',
          quantity: 1,
          price: 2,
          time: 3,
        }),
      ),
    ).toMatchObject({ type: 'fill', side: 'sell' });
    expect(
      parseFrame(
        envelope({
          type: 'fill',
          clientOrderId: 'a',
          fillId: 'f',
          symbol: 'X',
          side: 'sell',
          quantity: 1,
          price: 2,
          time: 3,
          fee: 0.5,
          feeCurrency: 'USD',
        }),
      ),
    ).toMatchObject({ type: 'fill', fee: 0.5, feeCurrency: 'USD' });
    expect(
      parseFrame(
        envelope({
          type: 'orders',
          requestId: 'r1',
          orders: [
            {
              venueOrderId: '9',
              symbol: 'X',
              side: 'buy',
              quantity: 1,
              orderType: 'limit',
              price: 1,
            },
          ],
        }),
      ),
    ).toMatchObject({ orders: [{ clientOrderId: undefined, venueOrderId: '9' }] });
    expect(
      parseFrame(envelope({ type: 'error', code: 'BUSY', reason: 'trade context busy' })),
    ).toMatchObject({
      requestId: undefined,
    });
  });

  it('names what is wrong with a bad frame', () => {
    expect(readEnvelope('[1,2]')).toBe('not a JSON object: [1,2]');
    expect(readEnvelope('{"type":"tick","seq":0}')).toBe(
      '"seq" is not a positive integer in a tick frame',
    );
    expect(parseFrame(envelope({ type: 'ack', clientOrderId: 'a' }))).toBe(
      'ack frame: "venueOrderId" must be a non-empty string',
    );
    expect(
      parseFrame(
        envelope({
          type: 'fill',
          clientOrderId: 'a',
          fillId: 'f',
          symbol: 'X',
          side: 'up',
          quantity: 0,
          price: 1,
          time: 1,
        }),
      ),
    ).toBe('fill frame: "side" must be "buy" or "sell"');
    expect(parseFrame(envelope({ type: 'cancelled' }))).toBe(
      'cancelled frame: "clientOrderId" or "venueOrderId" is required',
    );
    expect(parseFrame(envelope({ type: 'subscribe' }))).toBe('unknown frame type "subscribe"');
  });
});

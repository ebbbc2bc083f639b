// A dial-in gateway holds one session, with the engine: a `livegate kill` (or the watchdog) in
// another process reaches it through the engine. The relay plays the gateway's side of the
// protocol towards that process and sends its cancels and queries on the engine's session.

import type { RawData, WebSocket } from 'ws';
import { messageOf } from '../../core/message-of.js';
import { GATEWAY_PROTOCOL_VERSION, readEnvelope } from './gateway-protocol.js';
import type { RequestFrame } from './gateway-requests.js';
import { textOf } from './gateway-socket.js';
import type { WebSocketBroker } from './websocket-broker.js';

/** Answer types that end a request (a cancel-all's `cancelled` frames come before its `orders`). */
const FINAL_ANSWERS: ReadonlySet<unknown> = new Set(['orders', 'positions', 'error']);

export class GatewayKillRelay {
  constructor(private readonly broker: WebSocketBroker) {}

  serve(socket: WebSocket): void {
    let seq = 0;
    const send = (body: Readonly<Record<string, unknown>>) => {
      const { type, ...fields } = body;
      if (socket.readyState === socket.OPEN) {
        socket.send(JSON.stringify({ type, ...fields, seq: ++seq }));
      }
    };
    send({
      type: 'hello',
      protocol: GATEWAY_PROTOCOL_VERSION,
      gateway: `livegate relay to ${this.broker.name}`,
    });
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return send({ type: 'error', code: 'MALFORMED', reason: 'binary frame' });
      this.received(textOf(data), send);
    });
  }

  private received(text: string, send: (body: Readonly<Record<string, unknown>>) => void): void {
    const envelope = readEnvelope(text);
    if (typeof envelope === 'string')
      return send({ type: 'error', code: 'MALFORMED', reason: envelope });
    const { record } = envelope;
    if (envelope.type === 'heartbeat') return send({ type: 'heartbeat', time: Date.now() });
    const requestId = typeof record.requestId === 'string' ? record.requestId : undefined;
    const request = requestOf(envelope.type, record);
    if (requestId === undefined || request === undefined) {
      return send({
        type: 'error',
        ...(requestId === undefined ? {} : { requestId }),
        code: 'NOT_RELAYED',
        reason: `the kill relay carries cancel, cancel-all, open-orders and positions only, not ${envelope.type}`,
      });
    }
    let answered = false;
    const forward = (raw: Readonly<Record<string, unknown>>) => {
      if (FINAL_ANSWERS.has(raw.type) || (request.type === 'cancel' && raw.type === 'cancelled'))
        answered = true;
      // Our own seq numbers the frame on the relay's connection; the requester's id goes back.
      send({ ...raw, requestId });
    };
    this.broker
      .relay((id) => ({ ...request, requestId: id }) as RequestFrame, forward)
      .catch((error: unknown) => {
        if (!answered)
          send({ type: 'error', requestId, code: 'RELAY_FAILED', reason: messageOf(error) });
      });
  }
}

type RequestBody = { readonly type: RequestFrame['type']; readonly clientOrderId?: string };

function requestOf(
  type: string,
  record: Readonly<Record<string, unknown>>,
): RequestBody | undefined {
  switch (type) {
    case 'cancel-all':
    case 'open-orders':
    case 'positions':
      return { type };
    case 'cancel':
      return typeof record.clientOrderId === 'string' && record.clientOrderId !== ''
        ? { type, clientOrderId: record.clientOrderId }
        : undefined;
    default:
      return undefined;
  }
}

// The few things done to a ws socket directly: open it with the protocol's limits, read a frame's
// text, and close it without ever waiting on a peer that does not answer.

import { WebSocket, type ClientOptions, type RawData } from 'ws';
import { MAX_FRAME_BYTES } from './gateway-protocol.js';

const CLOSE_GRACE_MS = 1000;

/** Extra for a dial: headers (a token), and the one certificate a TLS peer must present. */
export interface DialOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** Trust exactly this certificate (PEM), whatever name it carries: livegate's own listener. */
  readonly pinnedCertificate?: string;
}

export function openGatewaySocket(
  url: string,
  handshakeTimeoutMs: number,
  options: DialOptions = {},
): WebSocket {
  return new WebSocket(url, {
    maxPayload: MAX_FRAME_BYTES,
    handshakeTimeout: handshakeTimeoutMs,
    perMessageDeflate: false,
    ...(options.headers === undefined ? {} : { headers: { ...options.headers } }),
    ...(options.pinnedCertificate === undefined ? {} : pinnedTls(options.pinnedCertificate)),
  });
}

/**
 * Trust this one certificate and skip the host-name check: the name in livegate's certificate is
 * the host's, while a kill reaches the engine on loopback. Node's TLS wants `undefined` from the
 * check for "fine" (ws types it as boolean, and `true` would fail it).
 */
export function pinnedTls(certificate: string): ClientOptions {
  const acceptAnyName = (() => undefined) as unknown as ClientOptions['checkServerIdentity'];
  return { ca: certificate, checkServerIdentity: acceptAnyName };
}

/** Closes politely, and forcibly if the peer does not finish the close handshake in time. */
export function closeSocket(socket: WebSocket, code: number, reason: string): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    const timer = setTimeout(() => {
      socket.terminate();
      resolve();
    }, CLOSE_GRACE_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (socket.readyState !== WebSocket.OPEN) return socket.terminate();
    // A close reason is limited to 123 bytes.
    socket.close(code, Buffer.from(reason).subarray(0, 120).toString());
  });
}

export function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

// livegate's end of a dial-in gateway (docs/gateway-protocol.md#dial-in-gateways): one WebSocket
// server on `gateway.listen`, plain or TLS. The gateway dials /feed and /broker and proves itself
// with the token in its hello; /kill lets another livegate process (a `livegate kill`) reach the
// gateway through this engine, proven by the same token in an Authorization header.

import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { LivegateError } from '../../core/errors.js';
import { MAX_FRAME_BYTES, UNAUTHORIZED_CLOSE_CODE } from './gateway-protocol.js';
import { textOf } from './gateway-socket.js';
import { ListeningSocketSource, type DialInRole } from './listening-socket-source.js';

export interface GatewayListenerOptions {
  readonly host: string;
  readonly port: number;
  /** The secret every dial-in must present (compared in constant time). */
  readonly token: string;
  /** PEM certificate and key: the gateway dials wss:// instead of ws://. */
  readonly tls?: { readonly certificate: string; readonly key: string };
  /** A dial-in that sends no hello with its token within this long is refused. */
  readonly helloTimeoutMs: number;
}

/** Serves another process's kill over this engine's gateway session (gateway-kill-relay.ts). */
export type KillRelayHandler = (socket: WebSocket) => void;

export class GatewayListener {
  /** `dial-in:HOST:PORT`, the venue name of both roles. */
  readonly venue: string;
  private readonly sources: Record<DialInRole, ListeningSocketSource>;
  private readonly sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
  });
  private readonly expectedDigest: Buffer;
  private killRelay: KillRelayHandler | undefined;

  private constructor(
    private readonly server: http.Server,
    private readonly options: GatewayListenerOptions,
  ) {
    this.venue = `dial-in:${formatAddress(options.host, options.port)}`;
    this.sources = {
      feed: new ListeningSocketSource(this.venue, 'feed'),
      broker: new ListeningSocketSource(this.venue, 'broker'),
    };
    this.expectedDigest = digest(options.token);
    server.on('upgrade', (request, socket, head) => this.upgrade(request, socket, head));
    server.on('request', (_request, response) => {
      response.writeHead(426, { 'content-type': 'text/plain' });
      response.end(
        'a livegate dial-in gateway listener: connect with WebSocket to /feed or /broker\n',
      );
    });
  }

  /** Binds the address; ERR_GATEWAY_LISTEN_FAILED (details.errno `EADDRINUSE`...) when it cannot. */
  static async open(options: GatewayListenerOptions): Promise<GatewayListener> {
    const server =
      options.tls === undefined
        ? http.createServer()
        : https.createServer({ cert: options.tls.certificate, key: options.tls.key });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: NodeJS.ErrnoException) => {
      const where = formatAddress(options.host, options.port);
      throw new LivegateError(
        'ERR_GATEWAY_LISTEN_FAILED',
        `cannot listen for the gateway on ${where} (gateway.listen): ${error.code ?? error.message}`,
        { cause: error, details: { errno: error.code } },
      );
    });
    // A refused or dead dial-in must never crash the process.
    server.on('error', () => undefined);
    return new GatewayListener(server, options);
  }

  /** The port actually bound (differs from the configured one for port 0). */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  source(role: DialInRole): ListeningSocketSource {
    return this.sources[role];
  }

  serveKillRelay(handler: KillRelayHandler): void {
    this.killRelay = handler;
  }

  async close(): Promise<void> {
    for (const source of Object.values(this.sources)) source.withdraw();
    for (const client of this.sockets.clients) client.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const path = new URL(request.url ?? '/', 'ws://listener').pathname;
    const from = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
    const role = path === '/feed' || path === '/broker' ? (path.slice(1) as DialInRole) : undefined;
    if (role === undefined && !(path === '/kill' && this.killRelay !== undefined)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return this.reportRefused(
        `dial-in to ${path} from ${from} refused: no such path (use /feed or /broker)`,
      );
    }
    this.sockets.handleUpgrade(request, socket, head, (webSocket) => {
      webSocket.on('error', () => undefined);
      if (role !== undefined) return this.authenticate(webSocket, role, from);
      const token = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (!this.isToken(token)) {
        const reporter = this.sources.broker.attached ? this.sources.broker : this.sources.feed;
        return reporter.refuse(
          { socket: webSocket, from },
          UNAUTHORIZED_CLOSE_CODE,
          'wrong or missing token for /kill',
        );
      }
      this.killRelay?.(webSocket);
    });
  }

  /** The first frame must be a hello carrying the token; then the role's source takes the socket. */
  private authenticate(socket: WebSocket, role: DialInRole, from: string): void {
    const source = this.sources[role];
    const refuse = (why: string) => source.refuse({ socket, from }, UNAUTHORIZED_CLOSE_CODE, why);
    const timer = setTimeout(
      () => refuse(`no hello with the token within ${this.options.helloTimeoutMs} ms`),
      this.options.helloTimeoutMs,
    );
    const first = (data: RawData, isBinary: boolean) => {
      clearTimeout(timer);
      socket.off('close', gone);
      const hello = isBinary ? undefined : helloOf(textOf(data));
      if (hello === undefined) return refuse('the first frame must be a hello carrying the token');
      if (!this.isToken(hello.token)) {
        return refuse(hello.token === undefined ? 'no token in the hello' : 'wrong token');
      }
      source.offer({ socket, early: [{ data, isBinary }], gateway: hello.gateway, from });
    };
    const gone = () => {
      clearTimeout(timer);
      socket.off('message', first);
    };
    socket.once('message', first);
    socket.once('close', gone);
  }

  private isToken(given: unknown): boolean {
    return typeof given === 'string' && timingSafeEqual(digest(given), this.expectedDigest);
  }

  /** A refusal that belongs to no role goes to the broker's reports (the feed's without one). */
  private reportRefused(detail: string): void {
    (this.sources.broker.attached ? this.sources.broker : this.sources.feed).refused(detail);
  }
}

/** Hashing first makes the comparison constant-time whatever the lengths. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function helloOf(text: string): { token: unknown; gateway: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (record.type !== 'hello') return undefined;
  return { token: record.token, gateway: typeof record.gateway === 'string' ? record.gateway : '' };
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

// A reference dial-in gateway (docs/gateway-protocol.md#dial-in-gateways) in Node: what an MT5
// Expert Advisor does (deploy/mt5/LivegateGateway.mq5), runnable and tested. It dials livegate's
// /feed and /broker, says hello with the token, streams ticks, trades on a PaperAccount, answers
// heartbeats, redials after every loss, and runs its side of the dead-man switch: after 3 ×
// livegate's heartbeat interval without a frame from livegate, it cancels livegate's open orders.

import { WebSocket, type ClientOptions, type RawData } from 'ws';
import { PaperAccount, type Frame, type OrderOwner } from './paper-account.js';

export type GatewayRole = 'feed' | 'broker';

export interface ReferenceGatewayOptions {
  /** livegate's listen address as a URL, `ws://HOST:PORT` or `wss://HOST:PORT`. */
  readonly url: string;
  readonly token: string;
  /** The hello's `gateway` name; a second session of another name is refused by livegate. */
  readonly name?: string;
  readonly roles?: readonly GatewayRole[];
  /** Wait before dialling again after a loss (default 200 ms). */
  readonly redialMs?: number;
  readonly tickIntervalMs?: number;
  /** A market order's first part fills this long after it is placed, the rest twice as long. */
  readonly fillDelayMs?: number;
  /** Parts a market order fills in (default 2). */
  readonly fillParts?: 1 | 2;
  /** The dead-man's heartbeat interval until livegate's first heartbeat says it (default 1000). */
  readonly assumedHeartbeatIntervalMs?: number;
  /** wss://: trust exactly this certificate (livegate's self-signed one). */
  readonly pinnedCertificate?: string;
}

export interface DeadManFiring {
  readonly at: number;
  /** ms of silence from livegate when it fired. */
  readonly silentForMs: number;
  readonly cancelled: number;
}

/** One dial-in connection for one role, the gateway's client side of the protocol. */
class Session implements OrderOwner {
  private seq = 0;
  private expectedSeq = 1;
  symbols: readonly string[] = [];

  constructor(
    readonly role: GatewayRole,
    readonly socket: WebSocket,
  ) {}

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(frame: Frame): void {
    const { type, ...fields } = frame;
    if (this.open) this.socket.send(JSON.stringify({ type, seq: ++this.seq, ...fields }));
  }

  /** livegate numbers its frames 1, 2, 3... per connection: a skip is a lost frame. */
  checkSeq(seq: unknown): string | undefined {
    const expected = this.expectedSeq;
    this.expectedSeq = (typeof seq === 'number' ? seq : expected) + 1;
    return seq === expected
      ? undefined
      : `expected seq ${expected} from livegate, got ${String(seq)}`;
  }
}

export class ReferenceGateway {
  readonly account: PaperAccount;
  readonly name: string;
  /** Closes from livegate, with their codes and reasons (4003: refused, wrong token). */
  readonly closes: { role: GatewayRole; code: number; reason: string }[] = [];
  readonly deadManFirings: DeadManFiring[] = [];
  readonly violations: string[] = [];
  dialIns = 0;
  private readonly sessions = new Map<GatewayRole, Session>();
  private readonly options: Required<Omit<ReferenceGatewayOptions, 'pinnedCertificate'>> &
    Pick<ReferenceGatewayOptions, 'pinnedCertificate'>;
  private stopped = true;
  private lastHeardAt: number | undefined;
  private intervalMs: number | undefined;
  private deadManFired = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private tickIndex = 0;

  constructor(options: ReferenceGatewayOptions) {
    this.options = {
      name: 'reference-gateway',
      roles: ['feed', 'broker'],
      redialMs: 200,
      tickIntervalMs: 10,
      fillDelayMs: 50,
      fillParts: 2,
      assumedHeartbeatIntervalMs: 1000,
      ...options,
    };
    this.name = this.options.name;
    this.account = new PaperAccount(this.options.fillDelayMs, this.options.fillParts);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const role of this.options.roles) this.dial(role);
    this.every(this.options.tickIntervalMs, () => this.tick());
    this.every(20, () => this.checkDeadMan());
  }

  /** Ticks sent to livegate so far. */
  get ticksSent(): number {
    return this.tickIndex;
  }

  /** livegate's heartbeat interval, once its first heartbeat said it. */
  get heartbeatIntervalMs(): number | undefined {
    return this.intervalMs;
  }

  connected(role: GatewayRole): boolean {
    return this.sessions.get(role)?.open === true;
  }

  /** A pulled cable: every connection cut without a close handshake; the gateway redials. */
  dropConnections(): void {
    for (const session of this.sessions.values()) session.socket.terminate();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.account.stop();
    const closing = [...this.sessions.values()].map(
      (session) =>
        new Promise<void>((resolve) => {
          if (session.socket.readyState === WebSocket.CLOSED) return resolve();
          session.socket.once('close', () => resolve());
          session.socket.terminate();
        }),
    );
    await Promise.all(closing);
  }

  private dial(role: GatewayRole): void {
    if (this.stopped) return;
    const socket = new WebSocket(`${this.options.url}/${role}`, {
      perMessageDeflate: false,
      handshakeTimeout: 2000,
      // Pinned: livegate's certificate names its host, which need not be what was dialled.
      ...(this.options.pinnedCertificate === undefined
        ? {}
        : {
            ca: this.options.pinnedCertificate,
            checkServerIdentity: (() =>
              undefined) as unknown as ClientOptions['checkServerIdentity'],
          }),
    });
    const session = new Session(role, socket);
    this.sessions.set(role, session);
    socket.on('error', () => undefined); // a refused dial is followed by 'close'
    socket.on('open', () => {
      this.dialIns += 1;
      session.send({ type: 'hello', protocol: 1, gateway: this.name, token: this.options.token });
    });
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) this.received(session, Buffer.from(data as Buffer).toString('utf8'));
    });
    socket.on('close', (code: number, reason: Buffer) => {
      if (code !== 1006) this.closes.push({ role, code, reason: reason.toString() });
      this.later(this.options.redialMs, () => this.dial(role));
    });
  }

  private received(session: Session, text: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      this.violations.push(`not JSON from livegate: ${text.slice(0, 80)}`);
      return;
    }
    const problem = session.checkSeq(frame.seq);
    if (problem !== undefined) this.violations.push(problem);
    this.lastHeardAt = performance.now();
    this.deadManFired = false;
    switch (frame.type) {
      case 'heartbeat':
        if (typeof frame.intervalMs === 'number') this.intervalMs = frame.intervalMs;
        return session.send({ type: 'heartbeat', time: Date.now() });
      case 'subscribe':
        session.symbols = Array.isArray(frame.symbols) ? frame.symbols.map(String) : [];
        return;
      default:
        if (session.role === 'broker') this.account.handle(session, frame);
    }
  }

  private tick(): void {
    const feed = this.sessions.get('feed');
    if (feed?.open !== true || feed.symbols.length === 0) return;
    const index = this.tickIndex++;
    const bid = Math.round((1.1 + (index % 200) / 100_000) * 100_000) / 100_000;
    this.account.bid = bid;
    this.account.ask = Math.round((bid + 0.0002) * 100_000) / 100_000;
    const time = 1_709_542_800_000 + index;
    for (const symbol of feed.symbols) {
      feed.send({ type: 'tick', symbol, bid, ask: this.account.ask, time });
    }
  }

  /** 3 × livegate's heartbeat interval of silence: livegate is gone, its orders must not rest. */
  private checkDeadMan(): void {
    if (this.lastHeardAt === undefined || this.deadManFired) return;
    const silentForMs = performance.now() - this.lastHeardAt;
    if (silentForMs < 3 * (this.intervalMs ?? this.options.assumedHeartbeatIntervalMs)) return;
    this.deadManFired = true;
    const cancelled = this.account.cancelLivegateOrders();
    this.deadManFirings.push({ at: Date.now(), silentForMs, cancelled });
    // The protocol's rule: a silent livegate is gone; drop what is left and dial again.
    this.dropConnections();
  }

  private every(interval: number, action: () => void): void {
    const repeat = () => {
      if (this.stopped) return;
      action();
      this.later(interval, repeat);
    };
    this.later(interval, repeat);
  }

  private later(delay: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delay);
    this.timers.add(timer);
  }
}

// One role's (feed or broker) dial-in sessions: the gateway's authenticated connections, handed to
// the GatewayConnection one at a time. A newer dial-in of the same gateway replaces the session at
// once (the old one is most likely a half-open leftover of the gateway's own reconnect); a dial-in
// of another gateway is refused while a session is held, so two terminals never split an account.

import type { WebSocket } from 'ws';
import {
  REPLACED_CLOSE_CODE,
  SESSION_HELD_CLOSE_CODE,
  UNAUTHORIZED_CLOSE_CODE,
} from './gateway-protocol.js';
import { closeSocket } from './gateway-socket.js';
import type {
  EarlyFrame,
  GatewaySocketSource,
  SocketRequest,
  SocketSourceEvents,
} from './gateway-socket-source.js';

export type DialInRole = 'feed' | 'broker';

/** An authenticated dial-in: its socket, the hello already read, and who sent it. */
export interface DialIn {
  readonly socket: WebSocket;
  readonly early: readonly EarlyFrame[];
  /** The hello's `gateway` name. */
  readonly gateway: string;
  /** `host:port` of the peer, for reports. */
  readonly from: string;
}

export class ListeningSocketSource implements GatewaySocketSource {
  private waiting: SocketRequest | undefined;
  /** A dial-in that arrived while the connection was not asking (starting, or between sessions). */
  private pending: DialIn | undefined;
  private active: DialIn | undefined;
  private events: SocketSourceEvents | undefined;

  constructor(
    readonly venue: string,
    readonly role: DialInRole,
  ) {}

  /** The gateway redials by itself: ask for the next session at once. */
  retryDelayMs(): number {
    return 0;
  }

  request(callbacks: SocketRequest): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending !== undefined && isOpen(pending.socket)) return this.handOver(pending, callbacks);
    this.waiting = callbacks;
  }

  withdraw(): void {
    this.waiting = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if (pending !== undefined) void closeSocket(pending.socket, 1001, 'livegate is shutting down');
  }

  attach(events: SocketSourceEvents): void {
    this.events = events;
  }

  /** A connection uses this role (its refusals have somewhere to be reported). */
  get attached(): boolean {
    return this.events !== undefined;
  }

  /** The listener authenticated a dial-in for this role. */
  offer(dialIn: DialIn): void {
    const holder = [this.active, this.pending].find(
      (session) => session !== undefined && isOpen(session.socket),
    );
    if (holder !== undefined && holder.gateway !== dialIn.gateway) {
      return this.refuse(
        dialIn,
        SESSION_HELD_CLOSE_CODE,
        `the ${this.role} session is held by gateway "${holder.gateway}"; one session at a time`,
      );
    }
    const replaced = `replaced by a new dial-in of gateway "${dialIn.gateway}" from ${dialIn.from}`;
    if (this.pending !== undefined)
      void closeSocket(this.pending.socket, REPLACED_CLOSE_CODE, replaced);
    this.pending = undefined;
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = undefined;
      return this.handOver(dialIn, waiting);
    }
    this.pending = dialIn;
    dialIn.socket.once('close', () => {
      if (this.pending === dialIn) this.pending = undefined;
    });
    const active = this.active;
    if (active !== undefined && isOpen(active.socket)) {
      // The connection drops the old socket and asks again at once: it gets this one.
      this.events?.superseded(active.socket, replaced);
    }
  }

  /** A dial-in refused before it reached a role (bad token, unknown path): reported here. */
  refused(detail: string): void {
    this.events?.refused(detail);
  }

  refuse(dialIn: Pick<DialIn, 'socket' | 'from'>, code: number, why: string): void {
    void closeSocket(
      dialIn.socket,
      code,
      code === UNAUTHORIZED_CLOSE_CODE ? `unauthorized: ${why}` : why,
    );
    this.refused(`dial-in to /${this.role} from ${dialIn.from} refused: ${why}`);
  }

  private handOver(dialIn: DialIn, callbacks: SocketRequest): void {
    this.active = dialIn;
    dialIn.socket.once('close', () => {
      if (this.active === dialIn) this.active = undefined;
    });
    callbacks.opened(dialIn.socket, dialIn.early);
  }
}

function isOpen(socket: WebSocket): boolean {
  return socket.readyState === socket.OPEN;
}

// One counterparty's FIX session at the test venue (a jspurefix acceptor session): it hands every
// application message to the venue, replays what the counterparty missed on a ResendRequest (from
// the venue's record, PossDupFlag=Y, gaps filled), and can be dropped like a failing network.

import type { FixEngine } from '../../src/adapters/fix/fix-engine-loader.js';
import type { FixSession, IJsFixConfig, MsgView } from 'jspurefix';

/** What a session needs from the venue. */
export interface VenueSessionHost {
  readonly logonFieldName: string | undefined;
  sessionReady(
    client: string,
    session: VenueSessionHandle,
    logonFields: Record<string, unknown>,
  ): void;
  sessionStopped(client: string, session: VenueSessionHandle): void;
  applicationMessage(client: string, msgType: string, message: Record<string, unknown>): void;
  /** Application messages sent to `client` by sequence number (for resends). */
  sentTo(client: string): ReadonlyMap<number, { msgType: string; body: Record<string, unknown> }>;
  decoded(client: string, text: string): void;
  /** The next MsgSeqNum the venue expects from `client` (undefined before its first logon). */
  expectedFrom(client: string): number | undefined;
  /** The next MsgSeqNum the venue sends `client`. */
  nextSeqTo(client: string): number;
}

export interface VenueSessionHandle {
  /** The sequence number the next message will carry. */
  nextSeqNum(): number;
  /** Numbers the next message one higher, as if one message were lost on the way. */
  skipSeqNum(): void;
  /** A Logout from the venue with this text, then the connection ends. */
  logoutWith(text: string): void;
  sendApplication(msgType: string, body: Record<string, unknown>): void;
  /** Destroys the socket (no Logout): a lost connection, as the counterparty sees it. */
  drop(): void;
}

export function venueSessionClass(
  engine: FixEngine,
): new (config: IJsFixConfig, host: VenueSessionHost) => FixSession & VenueSessionHandle {
  return class FixVenueSession extends engine.AsciiSession implements VenueSessionHandle {
    private client = '?';

    constructor(
      config: IJsFixConfig,
      private readonly host: VenueSessionHost,
    ) {
      super(config);
    }

    nextSeqNum(): number {
      const transmitter = this.transport?.transmitter as { msgSeqNum?: number } | undefined;
      return transmitter?.msgSeqNum ?? 0;
    }

    sendApplication(msgType: string, body: Record<string, unknown>): void {
      this.send(msgType, body);
    }

    logoutWith(text: string): void {
      this.sendLogout(text);
      // A clean stop: requestStop's error would reach jspurefix's acceptor as an unhandled one.
      setTimeout(() => this.stop(), 50);
    }

    skipSeqNum(): void {
      const transmitter = this.transport?.transmitter as { msgSeqNum: number } | undefined;
      if (transmitter === undefined) return;
      transmitter.msgSeqNum += 1;
      void this.sessionStore.setSenderSeqNum(transmitter.msgSeqNum);
    }

    /**
     * A Logon numbered below what the venue expects (no 141=Y) is answered as QuickFIX-based
     * venues answer it: a Logout saying so, then the connection ends.
     */
    protected override onMsg(msgType: string, view: MsgView): void {
      if (msgType === 'A' && view.getString(141) !== 'Y') {
        const client = view.getString(49) ?? '?';
        const expected = this.host.expectedFrom(client);
        const received = Number(view.getString(34));
        if (expected !== undefined && received < expected) {
          // Numbered and addressed as the client's session, which this connection is not bound to yet.
          const text = `MsgSeqNum too low, expecting ${expected} but received ${received}`;
          this.send('5', {
            Text: text,
            StandardHeader: { MsgSeqNum: this.host.nextSeqTo(client), TargetCompID: client },
          });
          setTimeout(() => this.requestStop('sequence number too low'), 50);
          return;
        }
      }
      super.onMsg(msgType, view);
    }

    drop(): void {
      const duplex = this.transport?.duplex as { socket?: { destroy(): void } } | undefined;
      duplex?.socket?.destroy();
      // As a venue notices a dead socket: the session ends now, not at the counterparty's next logon.
      this.requestStop('connection dropped');
    }

    protected override onApplicationMsg(msgType: string, view: MsgView): void {
      const message = view.toObject();
      if (message === null || Array.isArray(message)) return;
      this.host.applicationMessage(this.client, msgType, message);
    }

    protected override onLogon(view: MsgView): boolean {
      this.client = view.getString(49) ?? '?';
      return true;
    }

    protected override onReady(view: MsgView): void {
      const logon = view.toObject();
      const fields = logon === null || Array.isArray(logon) ? {} : logon;
      this.host.sessionReady(this.client, this, fields);
    }

    protected override onStopped(): void {
      this.host.sessionStopped(this.client, this);
    }

    protected override onDecoded(_msgType: string, text: string): void {
      this.host.decoded(this.client, text);
    }

    protected override onEncoded(): void {
      // The venue keeps its own record of what it sent (sentTo).
    }

    /**
     * jspurefix stores a resent message's own (older) number + 1 as the next one to send, which
     * would make the next reconnect's Logon go out with a number the peer has seen: put it back.
     */
    protected override txOnEncoded(
      msgType: string,
      data: string,
      header: Record<string, unknown>,
    ): void {
      super.txOnEncoded(msgType, data, header);
      if (header['PossDupFlag'] !== true) return;
      const transmitter = this.transport?.transmitter as { msgSeqNum?: number } | undefined;
      if (transmitter?.msgSeqNum !== undefined) {
        void this.sessionStore.setSenderSeqNum(transmitter.msgSeqNum);
      }
    }

    /** Replays the application messages asked for with their own numbers; the rest gap-filled. */
    protected override onResendRequest(view: MsgView): void {
      const begin = Number(view.getTyped(7));
      const requestedEnd = Number(view.getTyped(16));
      const end = requestedEnd === 0 ? this.nextSeqNum() - 1 : requestedEnd;
      const sent = this.host.sentTo(this.client);
      const factory = this.config.factory;
      let gapFrom: number | undefined;
      const fillGap = (until: number): void => {
        if (gapFrom === undefined || factory === null) return;
        const reset = factory.sequenceReset(until, true);
        reset['StandardHeader'] = { MsgSeqNum: gapFrom, PossDupFlag: true };
        this.send('4', reset);
        gapFrom = undefined;
      };
      for (let seq = begin; seq <= end; seq += 1) {
        const message = sent.get(seq);
        if (message === undefined) {
          gapFrom ??= seq;
          continue;
        }
        fillGap(seq);
        this.send(message.msgType, {
          ...message.body,
          StandardHeader: { MsgSeqNum: seq, PossDupFlag: true },
        });
      }
      fillGap(end + 1);
    }
  };
}

// One FIX 4.4 initiator session on jspurefix, kept up until close(): logon with credentials,
// heartbeats and test requests (jspurefix), and reconnects that keep the sequence numbers so the
// venue's ResendRequest/SequenceReset recovery fills what the lost connection missed. The numbers
// can outlive the process (a sequence file); a venue that refuses them stops the link with why.

import type { ISessionDescription, IJsFixConfig, MsgTransport, MsgView } from 'jspurefix';
import { LivegateError } from '../../core/errors.js';
import { messageOf } from '../../core/message-of.js';
import { sessionDictionary, type LogonField } from './fix-dictionary.js';
import { loadFixEngine, type FixEngine } from './fix-engine-loader.js';
import { FixSequenceFile } from './fix-sequence-file.js';
import { FixSessionLock, lockFilePath } from './fix-session-lock.js';
import { sequenceProblemOfLogon, sequenceProblemOfLogout } from './fix-sequence-problems.js';

export interface FixSessionSettings {
  /** For jspurefix's own naming; never on the wire. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly senderCompId: string;
  readonly targetCompId: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly heartbeatSeconds: number;
  /** ResetSeqNumFlag=Y on the first logon of this link; later logons (reconnects) never reset. */
  readonly resetSeqNumOnLogon: boolean;
  /** Where the sequence numbers outlive the process; null = in memory, for this link's life. */
  readonly sequenceFile: string | null;
  /** How long start() waits for another process to let go of the sequence file (default 5 s). */
  readonly lockWaitMs?: number;
  /** How long an incoming number waits before it is saved (see FixSequenceFile); default 0. */
  readonly incomingSaveLagMs?: number;
  readonly reconnectDelayMs: number;
  /** A QuickFIX XML dictionary; null = jspurefix's FIX 4.4. */
  readonly dictionary: string | null;
  readonly cancelOnDisconnect: LogonField | null;
  /** Every message in and out, `|`-delimited (tests, and a desk's FIX log). */
  readonly trace?: (direction: 'in' | 'out', message: string) => void;
}

/** A decoded message: field names as the dictionary spells them, components nested. */
export type FixMessage = Readonly<Record<string, unknown>>;

export interface FixSessionHandlers {
  /** Logged on; `first` is false after a reconnect. */
  onLoggedOn(first: boolean): void;
  onMessage(msgType: string, message: FixMessage): void;
  /** The session ended (connection lost, logout); a new one is attempted unless closed. */
  onLoggedOut(reason: string): void;
  /** The venue refused the sequence numbers: no new session is attempted. */
  onRefused(problem: string): void;
}

/** Told the MsgSeqNum a message went out with (a session Reject refers to it by that). */
export type OnNumbered = (seqNum: number) => void;

interface LinkSession {
  sendMessage(msgType: string, body: Record<string, unknown>, onNumbered?: OnNumbered): boolean;
  logout(): void;
  stopNow(reason: string): void;
}

export class FixSessionLink {
  readonly venue: string;
  private readonly handlers: FixSessionHandlers;
  private session: LinkSession | undefined;
  /** A session the venue logged out, until its connection closes (close() stops it now). */
  private ending: LinkSession | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private loggedOnOnce = false;
  private receivedAt: number | undefined;
  private downReason = 'not connected yet';
  private wakeDelay: (() => void) | undefined;
  private logoutWaiter: (() => void) | undefined;
  /** Why the venue will not take this session's numbers: no reconnect would change it. */
  private sequenceFile: FixSequenceFile | undefined;
  /** Held from start() to close(): one process at a time counts on the sequence file. */
  private lock: FixSessionLock | undefined;
  private refusedBecause: string | undefined;
  /** Why the venue logged the last session out (its Logout's Text); cleared by the next logon. */
  private venueLogout: string | undefined;
  /** Why the current connection attempt ended, once something said (a stop, a Logout). */
  private attemptEndedBecause: string | undefined;

  constructor(
    private readonly settings: FixSessionSettings,
    handlers: FixSessionHandlers,
  ) {
    this.handlers = handlers;
    this.venue = `${settings.targetCompId}@${settings.host}:${settings.port}`;
  }

  get isLoggedOn(): boolean {
    return this.session !== undefined;
  }

  /** Why there is no session now (for errors and reports). */
  get disconnectedBecause(): string {
    return this.refusedBecause ?? this.downReason;
  }

  /** Set when the venue refused the sequence numbers: the link gave up reconnecting. */
  get sequenceRefusal(): string | undefined {
    return this.refusedBecause;
  }

  /** Why the venue itself ended the last session (its Logout, refused numbers); else undefined. */
  get endedByVenue(): string | undefined {
    return this.refusedBecause ?? this.venueLogout;
  }

  /** Set while the sequence file cannot be written (a full disk): numbers sent now are not saved. */
  get sequenceSaveFailure(): string | undefined {
    const failure = this.sequenceFile?.writeFailure;
    return failure === undefined ? undefined : `${this.sequenceFile?.path}: ${failure}`;
  }

  get lastReceivedAt(): number | undefined {
    return this.receivedAt;
  }

  /**
   * Loads the engine and starts connecting; rejects only when the engine cannot load or the
   * session is locked. `whenLocked` runs once this process holds the session lock, before any
   * connection: what belongs to the session (its `.orders` file) is touched only then.
   */
  async start(whenLocked?: () => void): Promise<void> {
    const { engine, defaultDictionary } = await loadFixEngine();
    const dictionary = await sessionDictionary(
      this.settings.dictionary ?? defaultDictionary,
      this.settings.cancelOnDisconnect,
    );
    const description = this.description(dictionary.path, dictionary.logonFieldName);
    const container = new engine.SessionContainer();
    container.registerGlobal(new engine.EmptyLogFactory());
    const system = await container.makeSystem(description);
    const Session = sessionClass(engine);
    system.register(engine.DITokens.FixSession, {
      useFactory: (scope) =>
        new Session(scope.resolve<IJsFixConfig>(engine.DITokens.IJsFixConfig), this),
    });
    // Sequence numbers live in one store across this link's connections (each gets a new session).
    const config = system.resolve<IJsFixConfig>(engine.DITokens.IJsFixConfig);
    const sessionId = new engine.SessionId(
      'FIX.4.4',
      this.settings.senderCompId,
      this.settings.targetCompId,
    );
    const file = this.settings.sequenceFile;
    this.sequenceFile =
      file === null
        ? undefined
        : new FixSequenceFile(
            sessionId,
            file,
            this.settings.resetSeqNumOnLogon,
            this.settings.incomingSaveLagMs,
          );
    const store = this.sequenceFile ?? new engine.MemorySessionStore(sessionId);
    if (file !== null) await this.lockSequenceFile(file);
    try {
      // Unreadable numbers stop here, before any logon, with the file named.
      await store.initialize();
      whenLocked?.();
    } catch (error) {
      this.lock?.release();
      throw error;
    }
    config.sessionStoreFactory = { create: () => store };
    const entity = system.resolve<{ start(): Promise<unknown> }>(engine.DITokens.FixEntity);
    this.running = this.keepConnected(entity, description);
  }

  /** False when no session is logged on (nothing was sent). */
  send(msgType: string, body: Record<string, unknown>, onNumbered?: OnNumbered): boolean {
    return this.session?.sendMessage(msgType, body, onNumbered) ?? false;
  }

  /** Logs out (waits up to `graceMs` for the venue's confirmation), then stops reconnecting. */
  async close(graceMs = 1000): Promise<void> {
    if (this.closed) return this.running;
    this.closed = true;
    this.wakeDelay?.();
    const session = this.session;
    if (session !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.logoutWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
        session.logout();
      });
      this.session?.stopNow('closed');
    }
    this.ending?.stopNow('closed');
    await this.running;
    // The last numbers written, then the file is free for the next process.
    await this.sequenceFile?.dispose();
    this.lock?.release();
  }

  /** ERR_BROKER_FAILED naming the holder when another live process keeps the file past the wait. */
  private async lockSequenceFile(file: string): Promise<void> {
    const lock = new FixSessionLock(lockFilePath(file));
    const waitMs = this.settings.lockWaitMs ?? 5_000;
    const holder = await lock.acquire(waitMs);
    if (holder !== undefined) {
      const session = `FIX session ${this.settings.senderCompId}->${this.settings.targetCompId}`;
      throw new LivegateError(
        'ERR_BROKER_FAILED',
        holder.failed === true
          ? `${session}: its sequence numbers ${file} cannot be locked: ${holder.description}; nothing was sent`
          : `${session}: its sequence numbers ${file} are in use by ${holder.description} (another livegate process on this state dir); waited ${waitMs} ms, nothing was sent`,
        { details: { lockHolderPid: holder.pid ?? null, lockFile: lock.path } },
      );
    }
    this.lock = lock;
  }

  // Called by the session (jspurefix's callbacks).

  /** @internal */
  loggedOn(session: LinkSession): void {
    if (this.closed) return session.logout();
    this.session = session;
    this.venueLogout = undefined;
    const first = !this.loggedOnOnce;
    this.loggedOnOnce = true;
    this.handlers.onLoggedOn(first);
  }

  /** @internal */
  received(msgType: string, view: MsgView): void {
    this.receivedAt = Date.now();
    const message = view.toObject();
    if (message === null || Array.isArray(message)) return;
    this.handlers.onMessage(msgType, message);
  }

  /** @internal */
  stopped(session: LinkSession, reason: string): void {
    if (this.ending === session) this.ending = undefined;
    if (this.session !== session) return;
    this.session = undefined;
    this.downReason = reason;
    this.attemptEndedBecause = reason;
    const waiter = this.logoutWaiter;
    this.logoutWaiter = undefined;
    waiter?.();
    this.handlers.onLoggedOut(this.refusedBecause ?? reason);
  }

  /**
   * @internal The venue refused this session's sequence numbers (or sent numbers below ours):
   * the session ends and the link does not try again, so the problem is reported, not looped.
   */
  refused(problem: string): void {
    if (this.refusedBecause !== undefined) return;
    this.refusedBecause = problem;
    this.wakeDelay?.();
    this.handlers.onRefused(problem);
  }

  /**
   * @internal The venue's own Logout on a logged-on session: the session ends here, with its Text
   * as the reason, not when the connection closes (a venue may keep it open, or take its time).
   */
  venueLoggedOut(session: LinkSession, text: string | undefined): void {
    const reason = `the venue logged the session out${text === undefined ? '' : `: "${text}"`}`;
    if (this.session !== session) {
      // The answer to our Logon (a bad password, a session already logged on): the reason why.
      this.attemptEndedBecause ??= reason;
      this.downReason = reason;
      return;
    }
    this.venueLogout = reason;
    this.stopped(session, reason);
    this.ending = session;
  }

  /** @internal */
  sessionReject(view: MsgView): void {
    this.received('3', view);
  }

  /** @internal */
  heard(): void {
    this.receivedAt = Date.now();
  }

  /** @internal */
  trace(direction: 'in' | 'out', text: string): void {
    this.settings.trace?.(direction, text);
  }

  private async keepConnected(
    entity: { start(): Promise<unknown> },
    description: ISessionDescription & { ResetSeqNumFlag: boolean },
  ): Promise<void> {
    while (!this.closed) {
      this.attemptEndedBecause = undefined;
      try {
        await entity.start();
        this.downReason = this.attemptEndedBecause ?? 'the venue ended the session before logon';
      } catch (error) {
        this.downReason = this.attemptEndedBecause ?? messageOf(error);
      }
      // The sequence numbers carry on from here: missed messages come back by resend.
      if (this.loggedOnOnce) description.ResetSeqNumFlag = false;
      if (this.closed || this.refusedBecause !== undefined) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.settings.reconnectDelayMs);
        this.wakeDelay = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeDelay = undefined;
    }
  }

  private description(
    dictionary: string,
    logonFieldName: string | undefined,
  ): ISessionDescription & { ResetSeqNumFlag: boolean } {
    const { settings } = this;
    const delaySeconds = Math.max(settings.reconnectDelayMs / 1000, 0.05);
    const logon =
      logonFieldName === undefined || settings.cancelOnDisconnect === null
        ? undefined
        : { [logonFieldName]: settings.cancelOnDisconnect.value };
    return {
      application: {
        name: settings.name,
        type: 'initiator',
        protocol: 'ascii',
        dictionary,
        resilient: false,
        reconnectSeconds: delaySeconds,
        connectTimeoutSeconds: delaySeconds,
        tcp: {
          host: settings.host,
          port: settings.port,
          ...(settings.tls ? { tls: { rejectUnauthorized: true, timeout: 10_000 } } : {}),
        },
      },
      Name: settings.name,
      BeginString: 'FIX.4.4',
      SenderCompId: settings.senderCompId,
      TargetCompID: settings.targetCompId,
      SenderSubID: '',
      TargetSubID: '',
      Username: settings.username ?? '',
      Password: settings.password ?? '',
      HeartBtInt: settings.heartbeatSeconds,
      ResetSeqNumFlag: settings.resetSeqNumOnLogon,
      ...(logon === undefined ? {} : { Logon: logon }),
    };
  }
}

/** The jspurefix session class, made once the engine is loaded (it extends the engine's). */
function sessionClass(engine: FixEngine) {
  return class LivegateFixSession extends engine.AsciiSession implements LinkSession {
    constructor(
      config: IJsFixConfig,
      private readonly link: FixSessionLink,
    ) {
      super(config);
    }

    /**
     * jspurefix writes a message to the socket before it tells the session its number, so a
     * process killed between the two (a SIGKILL on a loaded host) left the file one behind what
     * the venue saw, and the next logon was "too low". The next number is saved as soon as the
     * encoder takes it, before the bytes are pushed (FixSequenceFile writes synchronously).
     */
    override run(transport: MsgTransport): Promise<number> {
      const transmitter = transport.transmitter as unknown as {
        msgSeqNum: number;
        encodeMessage: (msgType: string, body: unknown) => unknown;
      };
      const encode = transmitter.encodeMessage.bind(transmitter);
      transmitter.encodeMessage = (msgType, body) => {
        const state = encode(msgType, body);
        if (transmitter.msgSeqNum > this.sessionStore.senderSeqNum) {
          void this.sessionStore.setSenderSeqNum(transmitter.msgSeqNum);
        }
        return state;
      };
      return super.run(transport);
    }

    sendMessage(msgType: string, body: Record<string, unknown>, onNumbered?: OnNumbered): boolean {
      if (this.getState() === engine.SessionState.Stopped) return false;
      let failed = false;
      this.send(msgType, body, (error, sent) => {
        if (error !== null && error !== undefined) failed = true;
        const seqNum = (sent.header as { MsgSeqNum?: unknown } | null)?.MsgSeqNum;
        if (!failed && typeof seqNum === 'number') onNumbered?.(seqNum);
      });
      return !failed;
    }

    logout(): void {
      this.done();
    }

    stopNow(reason: string): void {
      this.requestStop(reason);
    }

    protected override onApplicationMsg(msgType: string, view: MsgView): void {
      this.link.received(msgType, view);
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

    protected override onReady(): void {
      this.link.loggedOn(this);
    }

    /** A venue Logon numbered below what this session expects (the venue reset): refused. */
    protected override onMsg(msgType: string, view: MsgView): void {
      if (msgType === 'A') {
        const problem = sequenceProblemOfLogon(
          Number(view.getString(34)),
          view.getString(141) === 'Y',
          this.sessionState.lastPeerMsgSeqNum,
        );
        if (problem !== undefined) this.link.refused(problem);
      }
      super.onMsg(msgType, view);
    }

    /** Logout and session Reject (35=3) pass here after the sequence check. */
    protected override onSessionMsg(msgType: string, view: MsgView): void {
      if (msgType === '5') {
        const problem = sequenceProblemOfLogout(
          view.getString(58) ?? undefined,
          view.getString(789) ?? undefined,
          this.sessionState.lastSentSeqNum(),
        );
        if (problem !== undefined) this.link.refused(problem);
        // Not the answer to our own Logout (close()): the venue's own.
        else if (this.getState() !== engine.SessionState.WaitingLogoutConfirm)
          this.link.venueLoggedOut(this, view.getString(58) ?? undefined);
      }
      if (msgType === '3') this.link.sessionReject(view);
      super.onSessionMsg(msgType, view);
    }

    protected override onStopped(error?: Error): void {
      this.link.stopped(this, error === undefined ? 'logged out' : error.message);
    }

    protected override onLogon(): boolean {
      return true;
    }

    protected override onDecoded(_msgType: string, text: string): void {
      this.link.heard();
      this.link.trace('in', text);
    }

    protected override onEncoded(_msgType: string, text: string): void {
      this.link.trace('out', text);
    }
  };
}

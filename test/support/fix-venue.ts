// A FIX 4.4 venue for the tests, on jspurefix as an acceptor in a real socket: one account per
// counterparty (its SenderCompID), limit orders that rest, market orders filled in parts after
// submit returns, rejects, per-order and mass cancels (refusable), mass status, market data (W then
// a stream of X), cancel-on-disconnect, dropped sessions, and messages sent while a counterparty is
// away kept for its ResendRequest.

import type { IJsFixConfig, IFixSessionStore } from 'jspurefix';
import { sessionDictionary } from '../../src/adapters/fix/fix-dictionary.js';
import { loadFixEngine } from '../../src/adapters/fix/fix-engine-loader.js';
import { freePort } from './server-process.js';
import { FixVenueBook } from './fix-venue-book.js';
import { venueSessionClass, type VenueSessionHandle } from './fix-venue-session.js';

export interface FixVenueOptions {
  readonly compId?: string;
  /** Declares this Logon tag; a counterparty that sends it = Y has its orders cancelled on disconnect. */
  readonly cancelOnDisconnectTag?: number;
  /** Wait before each part of a fill (ms); fills never arrive inside submit(). */
  readonly fillDelayMs?: number;
  /** A marketable order fills in this many parts. */
  readonly fillParts?: number;
  /** A market-data update every this many ms per subscription. */
  readonly streamIntervalMs?: number;
  /** Session (SenderCompID) -> account, for sessions that share one; default: its own. */
  readonly accounts?: Readonly<Record<string, string>>;
}

export interface ReceivedMessage {
  readonly client: string;
  readonly msgType: string;
  readonly message: Record<string, unknown>;
}

interface SentRecord {
  readonly msgType: string;
  readonly body: Record<string, unknown>;
}

export class FixVenue {
  readonly book: FixVenueBook;
  readonly received: ReceivedMessage[] = [];
  /** Every decoded inbound message, `|`-delimited, per counterparty. */
  readonly wire: { client: string; text: string }[] = [];
  /** Logon fields of each counterparty's latest logon. */
  readonly logons = new Map<string, Record<string, unknown>>();
  private readonly sessions = new Map<string, VenueSessionHandle>();
  private readonly stores = new Map<string, IFixSessionStore>();
  private readonly sent = new Map<string, Map<number, SentRecord>>();
  private readonly streams = new Map<string, NodeJS.Timeout>();
  private readonly lost = new Map<string, number>();
  /** A session that sends a mass cancel is logged out by the venue instead of answered. */
  logoutOnMassCancel = false;

  private constructor(
    readonly port: number,
    readonly compId: string,
    readonly logonFieldName: string | undefined,
    private readonly options: FixVenueOptions,
    private stopListener: () => void,
    private readonly listening: Promise<unknown>,
  ) {
    this.book = new FixVenueBook(
      (client, msgType, body) => this.sendTo(client, msgType, body),
      options.fillDelayMs ?? 5,
      options.fillParts ?? 2,
    );
  }

  static async start(options: FixVenueOptions = {}): Promise<FixVenue> {
    const { engine, defaultDictionary } = await loadFixEngine();
    const tag = options.cancelOnDisconnectTag;
    const dictionary = await sessionDictionary(
      defaultDictionary,
      tag === undefined ? null : { tag, value: 'Y' },
    );
    const port = await freePort();
    const compId = options.compId ?? 'VENUE';
    const container = new engine.SessionContainer();
    container.registerGlobal(new engine.EmptyLogFactory());
    const system = await container.makeSystem({
      application: {
        name: 'test-venue',
        type: 'acceptor',
        protocol: 'ascii',
        dictionary: dictionary.path,
        resilient: false,
        reconnectSeconds: 1,
        tcp: { host: '127.0.0.1', port },
      },
      Name: 'test-venue',
      BeginString: 'FIX.4.4',
      SenderCompId: compId,
      TargetCompID: '*',
      SenderSubID: '',
      TargetSubID: '',
      Username: '',
      Password: '',
      HeartBtInt: 30,
      ResetSeqNumFlag: false,
    });
    const Session = venueSessionClass(engine);
    const made: { venue?: FixVenue } = {};
    system.register(engine.DITokens.FixSession, {
      useFactory: (scope) =>
        new Session(scope.resolve<IJsFixConfig>(engine.DITokens.IJsFixConfig), made.venue!),
    });
    const config = system.resolve<IJsFixConfig>(engine.DITokens.IJsFixConfig);
    const entity = system.resolve<{ start(): Promise<unknown>; stop(): void }>(
      engine.DITokens.FixEntity,
    );
    const listening = entity.start();
    const venue = new FixVenue(
      port,
      compId,
      dictionary.logonFieldName,
      options,
      () => entity.stop(),
      listening,
    );
    made.venue = venue;
    const stores = venue.stores;
    config.sessionStoreFactory = {
      // One store per counterparty for the venue's life: its numbers survive its reconnects.
      create: (sessionId) => {
        const key = sessionId.toString();
        let store = stores.get(key);
        if (store === undefined) {
          store = new engine.MemorySessionStore(sessionId);
          stores.set(key, store);
        }
        return store;
      },
    };
    return venue;
  }

  /** Counterparties logged on right now. */
  loggedOn(client: string): boolean {
    return this.sessions.has(client);
  }

  /** Drops a counterparty's connection without a Logout. */
  drop(client: string): void {
    this.sessions.get(client)?.drop();
  }

  /** The next `count` messages to `client` are numbered and kept (for its resend) but never sent. */
  loseNextMessages(client: string, count = 1): void {
    this.lost.set(client, (this.lost.get(client) ?? 0) + count);
  }

  expectedFrom(client: string): number | undefined {
    for (const store of this.stores.values()) {
      if (store.sessionId.targetCompID === client) return store.targetSeqNum;
    }
    return undefined;
  }

  nextSeqTo(client: string): number {
    return this.storeOf(client)?.senderSeqNum ?? 1;
  }

  messagesFrom(client: string, msgType: string): Record<string, unknown>[] {
    return this.received
      .filter((entry) => entry.client === client && entry.msgType === msgType)
      .map((entry) => entry.message);
  }

  async stop(): Promise<void> {
    for (const timer of this.streams.values()) clearInterval(timer);
    this.book.stop();
    for (const session of this.sessions.values()) session.drop();
    this.stopListener();
    this.stopListener = () => undefined;
    await this.listening.catch(() => undefined);
  }

  // VenueSessionHost

  sessionReady(client: string, session: VenueSessionHandle, logon: Record<string, unknown>): void {
    this.sessions.set(client, session);
    this.logons.set(client, logon);
  }

  sessionStopped(client: string, session: VenueSessionHandle): void {
    if (this.sessions.get(client) !== session) return;
    this.sessions.delete(client);
    const timer = this.streams.get(client);
    if (timer !== undefined) clearInterval(timer);
    this.streams.delete(client);
    const field = this.logonFieldName;
    if (field !== undefined && this.logons.get(client)?.[field] === 'Y') {
      // After jspurefix has finished stopping the session (it writes its numbers back last).
      setImmediate(() => this.book.cancelSession(client));
    }
  }

  applicationMessage(client: string, msgType: string, message: Record<string, unknown>): void {
    this.received.push({ client, msgType, message });
    if (msgType === 'V') return this.subscribe(client, message);
    if (msgType === 'q' && this.logoutOnMassCancel) {
      return this.sessions.get(client)?.logoutWith('mass cancel not permitted: session closed');
    }
    this.book.handle(client, this.options.accounts?.[client] ?? client, msgType, message);
  }

  sentTo(client: string): ReadonlyMap<number, SentRecord> {
    return this.sent.get(client) ?? new Map();
  }

  decoded(client: string, text: string): void {
    this.wire.push({ client, text });
  }

  /**
   * Sends to a counterparty, or, while it is away, numbers the message as sent and keeps it: its
   * next Logon shows the gap and its ResendRequest gets the message back.
   */
  private sendTo(client: string, msgType: string, body: Record<string, unknown>): void {
    let record = this.sent.get(client);
    if (record === undefined) this.sent.set(client, (record = new Map<number, SentRecord>()));
    const session = this.sessions.get(client);
    if (session !== undefined) {
      record.set(session.nextSeqNum(), { msgType, body });
      if ((this.lost.get(client) ?? 0) > 0) {
        this.lost.set(client, this.lost.get(client)! - 1);
        return session.skipSeqNum();
      }
      return session.sendApplication(msgType, body);
    }
    const store = this.storeOf(client);
    if (store === undefined) return;
    record.set(store.senderSeqNum, { msgType, body });
    void store.setSenderSeqNum(store.senderSeqNum + 1);
  }

  private storeOf(client: string): IFixSessionStore | undefined {
    for (const store of this.stores.values()) {
      if (store.sessionId.targetCompID === client) return store;
    }
    return undefined;
  }

  private subscribe(client: string, request: Record<string, unknown>): void {
    const symbols = this.book.symbolsOf(request);
    const requestId = String(request['MDReqID']);
    for (const symbol of symbols) {
      this.sendTo(client, 'W', this.book.snapshot(requestId, symbol));
    }
    let index = 0;
    const interval = this.options.streamIntervalMs ?? 1;
    const timer = setInterval(() => {
      for (let burst = 0; burst < 20; burst += 1) {
        const symbol = symbols[index % symbols.length];
        index += 1;
        if (symbol !== undefined)
          this.sendTo(client, 'X', this.book.update(requestId, symbol, index));
      }
    }, interval);
    clearInterval(this.streams.get(client));
    this.streams.set(client, timer);
  }
}

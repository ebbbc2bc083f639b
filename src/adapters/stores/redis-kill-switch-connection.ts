// One ioredis connection that fails fast: every call has a deadline and every reply counts as contact.
import { Redis, type RedisOptions } from 'ioredis';
import { LivegateError } from '../../core/errors.js';
import { settleBefore } from '../../core/settle-before.js';
import type { RedisServerAddress } from '../../core/redis-server-address.js';

/** Reconnect forever, backing off to this: an engine must find the server again after any outage. */
const RECONNECT_MAX_DELAY_MS = 500;

export interface RedisConnectionSettings {
  readonly address: RedisServerAddress;
  /** For messages: the store's name and its URL without credentials. */
  readonly storeName: string;
  readonly displayUrl: string;
  /** Shown by CLIENT LIST, so an operator can tell engines' connections apart. */
  readonly connectionName: string;
  readonly requestTimeoutMs: number;
}

/**
 * No offline queue and no resending after a reconnect: a queued command would hide an outage and
 * could apply a write long after its caller was told it failed. socketTimeout drops a connection
 * whose server stopped answering (SIGSTOP, a half-open TCP link), so the client reconnects.
 *
 * `ownDeadlines`: the caller judges each call's deadline and drops the link itself
 * (RedisCommandConnection), so ioredis's command and socket timers are left off: they are plain
 * timers, which Node runs before I/O after a process stall, failing calls whose reply had arrived.
 */
export function redisClientOptions(
  settings: RedisConnectionSettings,
  ownDeadlines = false,
): RedisOptions {
  const timeout = settings.requestTimeoutMs;
  return {
    connectionName: settings.connectionName,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    ...(ownDeadlines ? {} : { commandTimeout: timeout, socketTimeout: timeout }),
    connectTimeout: timeout,
    retryStrategy: reconnectDelay,
  };
}

function reconnectDelay(times: number): number {
  return Math.min(50 * 2 ** Math.min(times - 1, 8), RECONNECT_MAX_DELAY_MS);
}

/**
 * A client of the one server, or of whichever server the sentinels name primary. In Sentinel mode
 * every (re)connect asks a sentinel for the primary and checks the server's role is master (a
 * demoted primary is refused), and a READONLY answer (we are on a primary that was demoted while
 * alive) drops the link so the next call asks the sentinels again. Not ioredis's failover
 * detector: its +switch-master handler, left subscribed while the client reconnects, aborts that
 * reconnect and ends the client for good (engines stopped following after a second failover).
 */
export function openRedisClient(settings: RedisConnectionSettings, ownDeadlines = false): Redis {
  const options = redisClientOptions(settings, ownDeadlines);
  const { address } = settings;
  if (address.kind === 'server') return new Redis(address.url, options);
  return new Redis({
    ...options,
    sentinels: address.sentinels.map(({ host, port }) => ({ host, port })),
    name: address.masterName,
    role: 'master',
    db: address.db,
    ...(address.username === undefined ? {} : { username: address.username }),
    ...(address.password === undefined ? {} : { password: address.password }),
    ...(address.username === undefined ? {} : { sentinelUsername: address.username }),
    ...(address.password === undefined ? {} : { sentinelPassword: address.password }),
    failoverDetector: false,
    // 1: reconnect, but resend nothing (see redisClientOptions).
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 1 : false),
    sentinelRetryStrategy: reconnectDelay,
    sentinelCommandTimeout: settings.requestTimeoutMs,
  });
}

/** A server-side error (WRONGTYPE, a script error): the server answered, so it is not an outage. */
export function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/** The one reply that is a fact about the stored state: the key holds another type. */
export function isWrongType(error: unknown): error is Error {
  return isReplyError(error) && error.message.startsWith('WRONGTYPE');
}

/**
 * Any other error reply (NOPERM, LOADING after a restart, BUSY during a script, MISCONF) says
 * nothing about the state: the store answered but cannot serve it, which is not contact.
 */
export function storeErrorFrom(what: string, error: Error): LivegateError {
  return new LivegateError('ERR_STORE_ERROR', `${what} refused by the server: ${error.message}`, {
    cause: error,
  });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A call's own deadline passed, while waiting for a connection or for the reply. */
class DeadlinePassed extends Error {
  constructor(readonly waitingFor: 'connection' | 'reply') {
    super(`deadline passed waiting for the ${waitingFor}`);
  }
}

export class RedisCommandConnection {
  readonly client: Redis;
  private lastContact = performance.now();
  /** Why the last call or connection attempt failed: the `<cause>` in unreachable messages. */
  private lastProblem = 'no reply yet';
  /** What ioredis said went wrong since the connection was last usable. */
  private connectionProblem: string | undefined;
  private closed = false;
  private nextReady: Promise<void> | undefined;

  constructor(private readonly settings: RedisConnectionSettings) {
    this.client = openRedisClient(settings, true);
    this.client.on('error', (error: unknown) => {
      this.connectionProblem = messageOf(error);
      this.noteProblem(this.connectionProblem);
    });
    this.client.on('close', () => {
      this.connectionProblem ??= 'connection closed';
      this.noteProblem(this.connectionProblem);
    });
    this.client.on('ready', () => {
      this.connectionProblem = undefined;
    });
  }

  /** performance.now() of the last reply of any kind. */
  get lastContactAt(): number {
    return this.lastContact;
  }

  /** `<store> at <url> unreachable for <n> ms: <why>` */
  unreachable(why: string = this.lastProblem, cause?: unknown): LivegateError {
    const silentMs = Math.round(performance.now() - this.lastContact);
    return new LivegateError(
      'ERR_STORE_UNREACHABLE',
      `${this.settings.storeName} at ${this.settings.displayUrl} unreachable for ${silentMs} ms: ${why}`,
      { cause, details: { url: this.settings.displayUrl, silentMs } },
    );
  }

  /**
   * Waits up to requestTimeoutMs (plus `serverWaitMs`, for a command the server itself holds, such
   * as WAIT) for a usable connection and a reply. Reply errors are passed through for the caller
   * to judge; anything else is ERR_STORE_UNREACHABLE.
   */
  async request<T>(
    what: string,
    send: (client: Redis) => Promise<T>,
    serverWaitMs = 0,
  ): Promise<T> {
    const deadline = performance.now() + this.settings.requestTimeoutMs + serverWaitMs;
    if (this.closed) throw this.unreachable(`${what}: the store is closed`);
    try {
      await this.ready(deadline);
      const reply = await settleBefore(
        send(this.client),
        deadline,
        () => new DeadlinePassed('reply'),
      );
      this.lastContact = performance.now();
      return reply;
    } catch (error) {
      if (isReplyError(error)) {
        this.lastContact = performance.now();
        throw error;
      }
      const why = `${what}: ${this.describeFailure(error)}`;
      this.noteProblem(why);
      // No reply in time even after one more I/O round (to the call, or to the ready check of a
      // fresh connection): a frozen server or a half-open link. Dropped so the client dials again.
      if (error instanceof DeadlinePassed) this.dropLink();
      throw this.unreachable(why, error instanceof DeadlinePassed ? undefined : error);
    }
  }

  /** Calls `listener` every time the connection becomes usable again. */
  onReady(listener: () => void): () => void {
    this.client.on('ready', listener);
    return () => this.client.off('ready', listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status === 'ready') {
      const quit = this.client.quit().catch(() => undefined);
      const deadline = performance.now() + this.settings.requestTimeoutMs;
      await settleBefore(quit, deadline, () => new DeadlinePassed('reply')).catch(() => undefined);
    }
    this.client.disconnect();
  }

  private dropLink(): void {
    // Destroyed, not ended: a frozen server never answers an orderly close, and the client would
    // sit "ready" on a socket it cannot write. ioredis then reconnects (retryStrategy).
    const { status } = this.client;
    if (!this.closed && (status === 'ready' || status === 'connect')) this.client.stream.destroy();
  }

  private noteProblem(problem: string): void {
    if (!this.closed) this.lastProblem = problem;
  }

  private describeFailure(error: unknown): string {
    const connection = this.connectionProblem ?? this.client.status;
    if (error instanceof DeadlinePassed) {
      return error.waitingFor === 'reply'
        ? `no reply within ${this.settings.requestTimeoutMs} ms`
        : `not connected within ${this.settings.requestTimeoutMs} ms (${connection})`;
    }
    // ioredis rejects calls in flight with these when the connection drops; the drop says why.
    const name = error instanceof Error ? error.name : '';
    if (name === 'MaxRetriesPerRequestError' || name === 'AbortError') {
      return `connection lost (${connection})`;
    }
    return messageOf(error);
  }

  /** One shared wait per reconnect, so a burst of calls during an outage adds one listener, not one each. */
  private ready(deadline: number): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    if (this.client.status === 'end') return Promise.reject(new Error('connection ended'));
    this.nextReady ??= new Promise<void>((resolve) => {
      this.client.once('ready', () => {
        this.nextReady = undefined;
        resolve();
      });
    });
    return settleBefore(this.nextReady, deadline, () => new DeadlinePassed('connection'));
  }
}

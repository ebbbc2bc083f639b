// One ioredis connection that fails fast: every call has a deadline and every reply counts as contact.
import { Redis, type RedisOptions } from 'ioredis';
import { LivegateError } from '../../core/errors.js';

/** Reconnect forever, backing off to this: an engine must find the server again after any outage. */
const RECONNECT_MAX_DELAY_MS = 500;

export interface RedisConnectionSettings {
  readonly url: string;
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
 */
export function redisClientOptions(settings: RedisConnectionSettings): RedisOptions {
  const timeout = settings.requestTimeoutMs;
  return {
    connectionName: settings.connectionName,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    commandTimeout: timeout,
    socketTimeout: timeout,
    connectTimeout: timeout,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times - 1, 8), RECONNECT_MAX_DELAY_MS),
  };
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
    this.client = new Redis(settings.url, redisClientOptions(settings));
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
   * Waits up to requestTimeoutMs for a usable connection and a reply. Reply errors are passed
   * through for the caller to judge; anything else is ERR_STORE_UNREACHABLE.
   */
  async request<T>(what: string, send: (client: Redis) => Promise<T>): Promise<T> {
    const deadline = performance.now() + this.settings.requestTimeoutMs;
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

/** The promise's outcome, or `timedOut()` at the deadline (the late outcome is then ignored). */
export function settleBefore<T>(
  promise: Promise<T>,
  deadline: number,
  timedOut: () => Error,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(timedOut()), Math.max(0, deadline - performance.now()));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

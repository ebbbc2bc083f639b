// One NATS connection and KV bucket per store: opened on first use, every call bounded, errors ours.
import { jetstream, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { isLivegateError, LivegateError } from '../../core/errors.js';
import { settleBefore } from '../../core/settle-before.js';

export interface NatsKvConnectionSettings {
  readonly servers: readonly string[];
  /** What the store is called in messages: `NATS KV bucket <bucket> (scope <scope>)`. */
  readonly description: string;
  readonly bucket: string;
  readonly requestTimeoutMs: number;
  /** The client's own PING interval follows it (a quarter, 0.5-2 s): a frozen server is left in time. */
  readonly failClosedAfterMs: number;
  /** Copies of the bucket's stream a creating write asks for (3 on a three-node cluster). */
  readonly replicas: number;
}

/** Gaps between connection attempts before the first connection (then the client's own loop). */
const RETRY_DELAY_MS = 250;
const RETRY_JITTER_MS = 100;

export type KvOperation<T> = (kv: KV, signal: AbortSignal) => Promise<T>;

/** True when a KV write lost a compare-and-set: the key exists, or moved on since it was read. */
export function isWrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** The bucket does not exist (never created, or deleted). */
export function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

/** How a KV write to a bucket that does not exist fails: nobody consumes its subject. */
function isNoBucketForWrite(error: unknown): boolean {
  // The class is not exported from the package's public entry point; its name is stable.
  return (
    isStreamNotFound(error) || (error instanceof Error && error.name === 'JetStreamNotEnabled')
  );
}

/** A server's refusal rather than silence: JetStream off for the account, a permission denied. */
function isRefusal(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'JetStreamNotEnabled' || /permissions violation/i.test(error.message);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class NatsKvConnection {
  /** performance.now() of the last answer from JetStream (a result, or an API error). */
  lastContactAt = performance.now();
  /** The first sign of trouble since the last answer (disconnect, timeout...), for messages. */
  private lastProblem: string | undefined;
  private connection: NatsConnection | undefined;
  private connecting: Promise<NatsConnection> | undefined;
  private opening: Promise<KV> | undefined;
  private closed = false;
  private readonly reconnectListeners = new Set<() => void>();

  /** Listings open a consumer and read it to the end: several round trips, not one. */
  readonly listTimeoutMs: number;

  constructor(private readonly settings: NatsKvConnectionSettings) {
    this.listTimeoutMs = settings.requestTimeoutMs * 5;
  }

  /** The server in use, or the first one configured, for messages. */
  get server(): string {
    const current = this.connection?.getServer();
    return current === undefined || current === '' ? (this.settings.servers[0] ?? '') : current;
  }

  /**
   * Runs one operation on the bucket, connecting first if needed, within `timeoutMs`. A JetStream
   * API error (a lost compare-and-set...) is the server's answer and is passed through; anything
   * else means no answer and becomes ERR_STORE_UNREACHABLE.
   */
  async call<T>(
    what: string,
    operation: KvOperation<T>,
    timeoutMs = this.settings.requestTimeoutMs,
    { createBucket = false }: { readonly createBucket?: boolean } = {},
  ): Promise<T> {
    const controller = new AbortController();
    const work = this.attempt(operation, controller.signal, createBucket);
    // A stalled event loop is not a silent server: a reply that arrived meanwhile gets an I/O
    // round, and an operation of several requests its window again (settleBefore).
    const answered = settleBefore(
      work,
      performance.now() + timeoutMs,
      () => {
        controller.abort();
        const problem = `no answer to ${what} within ${timeoutMs} ms`;
        const earlier = this.lastProblem;
        this.noteProblem(problem);
        return this.unreachable(earlier === undefined ? problem : `${problem} (${earlier})`);
      },
      { windowAgainAfterStall: true },
    );
    try {
      const result = await answered;
      this.touch();
      return result;
    } catch (error) {
      if (error instanceof JetStreamApiError || isLivegateError(error, 'ERR_STATE_UNREADABLE')) {
        this.touch();
        throw error;
      }
      if (isLivegateError(error)) throw error;
      this.noteProblem(messageOf(error));
      // The server answered, with a refusal: an error, never contact (the policy fails closed on it).
      if (isRefusal(error)) {
        throw new LivegateError(
          'ERR_STORE_ERROR',
          `${this.settings.description} at ${this.server}: ${what} refused: ${messageOf(error)}`,
          { cause: error, details: { bucket: this.settings.bucket } },
        );
      }
      throw this.unreachable(`${what} failed: ${messageOf(error)}`, error);
    }
  }

  /** Any sign of life from JetStream (a pushed change) counts as contact. */
  touch(): void {
    this.lastContactAt = performance.now();
    this.lastProblem = undefined;
  }

  /** The error a watcher is given once the server has been silent for too long. */
  unreachableFor(silentMs: number): LivegateError {
    const cause =
      this.lastProblem ?? 'no answer to any request (server frozen, or the network cut?)';
    return new LivegateError(
      'ERR_STORE_UNREACHABLE',
      `${this.settings.description} at ${this.server} unreachable for ${Math.round(silentMs)} ms: ${cause}`,
      { details: { servers: [...this.settings.servers], bucket: this.settings.bucket, silentMs } },
    );
  }

  /** Called after the client reconnects, when pushed changes may have been missed. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reconnectListeners.clear();
    const connection = this.connection;
    this.connection = undefined;
    if (connection === undefined) return;
    // close() does not wait for the server, but a frozen socket must not hold us either.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      connection.close().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, this.settings.requestTimeoutMs))),
    ]);
    clearTimeout(timer);
  }

  private noteProblem(problem: string): void {
    this.lastProblem ??= problem;
  }

  private unreachable(problem: string, cause?: unknown): LivegateError {
    return new LivegateError(
      'ERR_STORE_UNREACHABLE',
      `${this.settings.description} at ${this.server}: ${problem}`,
      { cause, details: { servers: [...this.settings.servers], bucket: this.settings.bucket } },
    );
  }

  /**
   * Reads never create the bucket: a missing one answers StreamNotFound, which the store reads as
   * "no state" (engines fail closed). Only writes create it, and the state keys in it are created
   * only by an explicit change (init, reset, a kill), never by a read.
   */
  private async attempt<T>(
    operation: KvOperation<T>,
    signal: AbortSignal,
    createBucket: boolean,
  ): Promise<T> {
    try {
      return await operation(await this.bucket(false), signal);
    } catch (error) {
      if (!isNoBucketForWrite(error) || !createBucket || signal.aborted) throw error;
      this.opening = undefined;
      return operation(await this.bucket(true), signal);
    }
  }

  private bucket(create: boolean): Promise<KV> {
    if (this.opening === undefined) {
      const opening = this.openBucket(create);
      this.opening = opening;
      opening.catch(() => {
        if (this.opening === opening) this.opening = undefined;
      });
    }
    return this.opening;
  }

  private async openBucket(create: boolean): Promise<KV> {
    const connection = await this.connect();
    const kvm = new Kvm(jetstream(connection, { timeout: this.settings.requestTimeoutMs }));
    // allow_direct false: every get is answered by the stream leader, so a reader never sees an
    // older state than a write it has seen acked. Binding asks the server nothing.
    if (!create) return kvm.open(this.settings.bucket, { allow_direct: false });
    return kvm.create(this.settings.bucket, {
      history: 1,
      allow_direct: false,
      replicas: this.settings.replicas,
      description: 'livegate kill-switch state and engine reports',
    });
  }

  private connect(): Promise<NatsConnection> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    if (this.connecting === undefined) {
      const connecting = this.connectUntilClosed();
      this.connecting = connecting;
      connecting.catch(() => {
        if (this.connecting === connecting) this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  /**
   * Before the first connection the client gives up after one pass over the servers, so the
   * retry loop is ours (and stops on close); after it, the client reconnects forever by itself.
   */
  private async connectUntilClosed(): Promise<NatsConnection> {
    for (;;) {
      try {
        const connection = await connect({
          servers: [...this.settings.servers],
          name: 'livegate kill switch',
          timeout: Math.max(this.settings.requestTimeoutMs, 2_000),
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: RETRY_DELAY_MS,
          reconnectJitter: RETRY_JITTER_MS,
          // Two missed pings end a connection to a frozen node: well inside failClosedAfterMs, so
          // the client moves to another node of a cluster before the engine would latch.
          pingInterval: Math.min(2_000, Math.max(500, this.settings.failClosedAfterMs / 4)),
          maxPingOut: 2,
        });
        if (this.closed) {
          await connection.close();
          throw new Error('the store is closed');
        }
        this.adopt(connection);
        return connection;
      } catch (error) {
        if (this.closed) throw error;
        this.noteProblem(messageOf(error));
        await pause(RETRY_DELAY_MS + Math.random() * RETRY_JITTER_MS);
      }
    }
  }

  private adopt(connection: NatsConnection): void {
    this.connection = connection;
    void this.followStatus(connection);
    void connection.closed().then(() => {
      // Closed by the client itself (not by us): start over on the next call.
      if (this.connection !== connection) return;
      this.connection = undefined;
      this.connecting = undefined;
      this.opening = undefined;
    });
  }

  private async followStatus(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') {
        this.noteProblem(`disconnected from ${status.server}`);
      } else if (status.type === 'staleConnection') {
        this.noteProblem('the server stopped answering pings');
      } else if (status.type === 'error') {
        this.noteProblem(status.error.message);
      } else if (status.type === 'reconnect') {
        for (const listener of this.reconnectListeners) listener();
      }
    }
  }
}

function pause(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds).unref());
}

// Streams events into a NATS JetStream stream: at least once, with server-side de-duplication of retries inside the window.

import {
  DiscardPolicy,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import * as z from 'zod';
import type { LivegateError } from '../../core/errors.js';
import type { EventSink } from '../../core/ports.js';
import {
  BoundedEventQueue,
  invalidSinkOptions,
  queueOptionsShape,
  type EventTransport,
  type QueuedEvent,
} from './bounded-event-queue.js';

export interface NatsEventSinkOptions {
  /** `host:port` or `nats://host:port`, one or several. */
  readonly servers: string | readonly string[];
  /** Created if missing (file storage, limits retention). Default 'LIVEGATE_EVENTS'. */
  readonly stream?: string;
  /** Events go to `<subjectPrefix>.<engineId>.<type>`. Default 'livegate.events'. */
  readonly subjectPrefix?: string;
  /** Prefix of every event id (`<runId>:<seq>`), which is also the JetStream message id. */
  readonly runId: string;
  /** Events waiting for the server before non-critical ones are dropped. Default 10,000. */
  readonly maxQueued?: number;
  /** Events published before their acknowledgements are awaited together. Default 500. */
  readonly maxBatch?: number;
  /** How long flush() and close() wait for acknowledgements. Default 10,000 ms. */
  readonly flushTimeoutMs?: number;
  /** Delivery failures, overload and loss end up here, never as exceptions in write(). */
  readonly onError: (error: LivegateError) => void;
}

/** A subject token: no whitespace, no separator, no wildcard. */
const SUBJECT_TOKEN = /^[^\s.*>]+$/;

const optionsSchema = z.strictObject({
  ...queueOptionsShape,
  servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  stream: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/, 'expected letters, digits, _ or -')
    .default('LIVEGATE_EVENTS'),
  subjectPrefix: z
    .string()
    .refine((prefix) => prefix.split('.').every((token) => SUBJECT_TOKEN.test(token)), {
      message: 'expected dot-separated tokens without spaces or wildcards',
    })
    .default('livegate.events'),
});

const CONNECT_TIMEOUT_MS = 5000;
/** For a publish acknowledgement and for the stream look-up. */
const REQUEST_TIMEOUT_MS = 5000;
/** Retries of an event inside this window are stored once (the server default, stated). */
const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/** write() only queues; flush() resolves once everything written is stored by the stream (publish acknowledged). */
export class NatsEventSink extends BoundedEventQueue implements EventSink {
  readonly name: string;

  /** Validates the options (ERR_CONFIG_INVALID naming every bad one); connects lazily, in the background. */
  constructor(options: NatsEventSinkOptions) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) throw invalidSinkOptions('NatsEventSink', parsed.error);
    const { servers, stream, subjectPrefix, ...queueOptions } = parsed.data;
    super(new NatsTransport(servers, stream, subjectPrefix), queueOptions);
    this.name = `nats:${stream}`;
  }
}

/** `<prefix>.<engineId>.<type>`, the engine id percent-encoded where a subject token cannot hold it. */
export function eventSubject(subjectPrefix: string, engineId: string, type: string): string {
  return `${subjectPrefix}.${subjectToken(engineId)}.${type}`;
}

/** Reversible with decodeURIComponent: host names with dots stay one token. */
function subjectToken(value: string): string {
  return encodeURIComponent(value).replace(
    /[.*!~'()]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

class NatsTransport implements EventTransport {
  readonly target: string;
  private readonly servers: string | string[];
  private readonly stream: string;
  private readonly subjectPrefix: string;
  private connection: NatsConnection | undefined;
  private client: JetStreamClient | undefined;
  /** Checked again after any failure, in case the stream was deleted under us. */
  private streamReady = false;
  private closed = false;

  constructor(servers: string | string[], stream: string, subjectPrefix: string) {
    this.target = `NATS stream "${stream}"`;
    this.servers = servers;
    this.stream = stream;
    this.subjectPrefix = subjectPrefix;
  }

  async deliver(batch: readonly QueuedEvent[]): Promise<void> {
    const client = await this.ready();
    // Every publish is written before any acknowledgement is awaited: the batch leaves in order on one
    // connection, so a broken connection loses a suffix of it, and the retry's duplicates are dropped
    // by the server (same msgID inside the window), which keeps the stream in seq order.
    const acks = await Promise.allSettled(
      batch.map((event) =>
        client.publish(
          eventSubject(this.subjectPrefix, event.engineId, event.type),
          event.payload,
          { msgID: event.id, timeout: REQUEST_TIMEOUT_MS },
        ),
      ),
    );
    const failed = acks.find((ack) => ack.status === 'rejected');
    if (failed !== undefined) {
      this.streamReady = false;
      throw failed.reason;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    this.client = undefined;
    // close(), not drain(): publishes still in flight should fail now rather than hold up shutdown.
    if (connection !== undefined) await connection.close();
  }

  private async ready(): Promise<JetStreamClient> {
    if (this.connection === undefined || this.connection.isClosed()) {
      this.client = undefined;
      this.streamReady = false;
      this.connection = await this.connect();
    }
    const connection = this.connection;
    if (!this.streamReady) {
      await ensureStream(
        await jetstreamManager(connection, { timeout: REQUEST_TIMEOUT_MS }),
        this.stream,
        this.subjectPrefix,
      );
      this.streamReady = true;
    }
    this.client ??= jetstream(connection, { timeout: REQUEST_TIMEOUT_MS });
    return this.client;
  }

  private async connect(): Promise<NatsConnection> {
    const connection = await connect({
      servers: this.servers,
      name: 'livegate-event-sink',
      timeout: CONNECT_TIMEOUT_MS,
      // Once connected, the client reconnects on its own and never gives up; publishes meanwhile time out and are retried.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
    });
    if (this.closed) {
      // close() ran while we were connecting: do not leave a socket open behind it.
      await connection.close();
      throw new Error('the sink was closed while connecting');
    }
    return connection;
  }
}

async function ensureStream(
  manager: JetStreamManager,
  stream: string,
  subjectPrefix: string,
): Promise<void> {
  if (await streamExists(manager, stream)) return;
  try {
    // Only options nats-server 2.9 understands.
    await manager.streams.add({
      name: stream,
      subjects: [`${subjectPrefix}.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    });
  } catch (error) {
    // Another engine may have created it a moment ago.
    if (!(await streamExists(manager, stream))) throw error;
  }
}

async function streamExists(manager: JetStreamManager, stream: string): Promise<boolean> {
  try {
    await manager.streams.info(stream);
    return true;
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
      return false;
    }
    throw error;
  }
}

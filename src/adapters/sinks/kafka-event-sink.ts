// Streams events to a Kafka (or Redpanda) topic: keyed per engine and symbol, acks from all replicas, at least once, in order per key.

import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
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

export interface KafkaEventSinkOptions {
  /** `host:port` of one or more brokers. */
  readonly brokers: readonly string[];
  /** Must exist or be auto-created by the cluster: the sink never creates topics. */
  readonly topic: string;
  /** Default 'livegate'. */
  readonly clientId?: string;
  /** Prefix of every event id (`<runId>:<seq>`); unique per run so ids never repeat across runs. */
  readonly runId: string;
  /** Events waiting for the broker before non-critical ones are dropped. Default 10,000. */
  readonly maxQueued?: number;
  /** Events per produce request. Default 500. */
  readonly maxBatch?: number;
  /** How long flush() and close() wait for acknowledgements. Default 10,000 ms. */
  readonly flushTimeoutMs?: number;
  /** Delivery failures, overload and loss end up here, never as exceptions in write(). */
  readonly onError: (error: LivegateError) => void;
}

const optionsSchema = z.strictObject({
  ...queueOptionsShape,
  brokers: z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')).min(1),
  // Kafka's own rule for topic names.
  topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected 1-249 of A-Z a-z 0-9 . _ -'),
  clientId: z.string().min(1).default('livegate'),
});

/** Wait for all in-sync replicas (acks -1), and no longer than this for them. */
const ACK_TIMEOUT_MS = 10_000;
/** kafkajs retries each request a little on its own; our queue retries the batch after that. */
const CLIENT_RETRY = { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 };

/** write() only queues; flush() resolves once everything written is acknowledged by all in-sync replicas. */
export class KafkaEventSink extends BoundedEventQueue implements EventSink {
  readonly name: string;

  /** Validates the options (ERR_CONFIG_INVALID naming every bad one); connects lazily, in the background. */
  constructor(options: KafkaEventSinkOptions) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) throw invalidSinkOptions('KafkaEventSink', parsed.error);
    const { brokers, topic, clientId, ...queueOptions } = parsed.data;
    super(new KafkaTransport(brokers, topic, clientId), queueOptions);
    this.name = `kafka:${topic}`;
  }
}

class KafkaTransport implements EventTransport {
  readonly target: string;
  private readonly topic: string;
  private readonly producer: Producer;
  private connected = false;
  private closed = false;

  constructor(brokers: string[], topic: string, clientId: string) {
    this.target = `kafka topic "${topic}"`;
    this.topic = topic;
    const kafka = new Kafka({
      brokers,
      clientId,
      retry: CLIENT_RETRY,
      // kafkajs logs every failed connection to the console; the queue reports failures through onError instead.
      logLevel: logLevel.NOTHING,
      logCreator: () => () => undefined,
    });
    this.producer = kafka.producer({
      // The test cluster (librdkafka's mock) has no idempotent producers; ids let consumers de-duplicate.
      idempotent: false,
      // One request at a time, so a retried request can never overtake a later one.
      maxInFlightRequests: 1,
      // Passed explicitly (it is the default) so kafkajs does not warn about its v2 partitioner change.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: CLIENT_RETRY,
    });
  }

  async deliver(batch: readonly QueuedEvent[]): Promise<void> {
    if (!this.connected) {
      // A failed connect leaves the producer disconnected, so the next attempt connects again.
      await this.producer.connect();
      if (this.closed) {
        // close() ran while we were connecting: do not leave sockets open behind it.
        await this.producer.disconnect();
        throw new Error('the sink was closed while connecting');
      }
      this.connected = true;
    }
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      timeout: ACK_TIMEOUT_MS,
      messages: batch.map((event) => ({ key: event.key, value: event.payload })),
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.connected = false;
    await this.producer.disconnect();
  }
}

// The event streams configured under `streams:` (Kafka/Redpanda, NATS JetStream). Imported on
// demand by `livegate run`, so no other command loads the Kafka or NATS clients.

import type { LivegateError } from '../core/errors.js';
import type { EventSink } from '../core/ports.js';
import type { LivegateConfig } from '../config/schema.js';
import { KafkaEventSink } from './sinks/kafka-event-sink.js';
import { NatsEventSink } from './sinks/nats-event-sink.js';

export function createStreamSinks(
  config: LivegateConfig,
  runId: string,
  onError: (error: LivegateError) => void,
): EventSink[] {
  const { kafka, nats, maxQueued, maxBatch, flushTimeoutMs } = config.streams;
  const queue = { runId, maxQueued, maxBatch, flushTimeoutMs, onError };
  const sinks: EventSink[] = [];
  if (kafka.brokers.length > 0) {
    sinks.push(
      new KafkaEventSink({
        brokers: kafka.brokers,
        topic: kafka.topic,
        clientId: kafka.clientId,
        ...queue,
      }),
    );
  }
  if (nats.url !== null) {
    sinks.push(
      new NatsEventSink({
        servers: nats.url,
        stream: nats.stream,
        subjectPrefix: nats.subjectPrefix,
        ...queue,
      }),
    );
  }
  return sinks;
}

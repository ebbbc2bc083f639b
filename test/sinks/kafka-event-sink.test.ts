// KafkaEventSink against librdkafka's mock cluster (via kcat), read back by a separate kcat consumer.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isLivegateError, type LivegateError } from '../../src/core/errors.js';
import type { LivegateEvent } from '../../src/core/events.js';
import {
  KafkaEventSink,
  type KafkaEventSinkOptions,
} from '../../src/adapters/sinks/kafka-event-sink.js';
import { runEventSinkContract } from '../contracts/event-sink.contract.js';
import {
  kcatInstalled,
  partitionCount,
  readTopic,
  readTopicUntil,
  startKafkaMockCluster,
  type KafkaMockCluster,
  type KafkaRecord,
} from '../support/kafka-mock-cluster.js';
import { riskLimitBreached, sampleEvent, waitFor } from './journal-fixtures.js';
import { freePort } from '../support/server-process.js';

if (!kcatInstalled) {
  if (process.env.CI) {
    throw new Error('kcat is missing: CI must run the Kafka sink tests (.ci/run installs kcat)');
  }
  console.warn('kcat is not installed: skipping the KafkaEventSink tests (apt-get install kcat)');
}

interface Envelope {
  readonly v: number;
  readonly id: string;
  readonly seq: number;
  readonly type: string;
}

interface Received extends KafkaRecord {
  readonly envelope: Envelope;
}

let cluster: KafkaMockCluster | undefined;

function bootstrap(): string {
  if (cluster === undefined) throw new Error('the mock cluster did not start');
  return cluster.bootstrap;
}

function uniqueTopic(): string {
  return `livegate-test-${randomUUID().slice(0, 8)}`;
}

function openSink(options: Partial<KafkaEventSinkOptions> = {}) {
  const errors: LivegateError[] = [];
  const topic = options.topic ?? uniqueTopic();
  const sink = new KafkaEventSink({
    brokers: [bootstrap()],
    topic,
    runId: 'run-1',
    onError: (error) => errors.push(error),
    ...options,
  });
  return { sink, topic, errors };
}

/** The key the sink must give each event: engine and symbol, or the engine alone. */
function expectedKey(event: LivegateEvent): string {
  if (event.type === 'OrderSubmitted') return `${event.engineId}/${event.order.symbol}`;
  if (event.type === 'TickBlocked' || event.type === 'OrderDenied') {
    return `${event.engineId}/${event.symbol}`;
  }
  return event.engineId;
}

/** The event as written: the envelope's fields removed. */
const withoutEnvelope = ({ v: _v, id: _id, seq: _seq, ...event }: Envelope): LivegateEvent =>
  event as unknown as LivegateEvent;

function received(records: readonly KafkaRecord[]): Received[] {
  return [...records]
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset)
    .map((record) => ({ ...record, envelope: JSON.parse(record.payload ?? 'null') as Envelope }));
}

/** At least once, so duplicates may exist: checks them, then keeps each id's first copy. */
function distinctBySeq(records: readonly Received[]): Received[] {
  const bySeq = new Map<number, Received>();
  for (const record of records) {
    const first = bySeq.get(record.envelope.seq);
    if (first === undefined) bySeq.set(record.envelope.seq, record);
    else expect(record.payload).toBe(first.payload);
  }
  return [...bySeq.values()].sort((a, b) => a.envelope.seq - b.envelope.seq);
}

/** Per key: one partition, and the first copies of its events in seq order. */
function expectOrderPerKey(records: readonly Received[]): void {
  const byKey = new Map<string, { partition: number; seqs: number[] }>();
  for (const record of records) {
    const key = record.key ?? '(none)';
    const entry = byKey.get(key) ?? { partition: record.partition, seqs: [] };
    expect(record.partition).toBe(entry.partition);
    if (!entry.seqs.includes(record.envelope.seq)) entry.seqs.push(record.envelope.seq);
    byKey.set(key, entry);
  }
  for (const { seqs } of byKey.values()) {
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }
}

describe.skipIf(!kcatInstalled)('KafkaEventSink', () => {
  beforeAll(async () => {
    cluster = await startKafkaMockCluster();
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  runEventSinkContract('KafkaEventSink', () => {
    const { sink, topic } = openSink({ runId: 'contract' });
    return Promise.resolve({
      sink,
      // Kafka orders per partition only; the envelope's seq is the run's order, ids remove retried copies.
      readBack: async () =>
        distinctBySeq(received(await readTopic(bootstrap(), topic))).map(({ envelope }) =>
          withoutEnvelope(envelope),
        ),
      cleanup: () => Promise.resolve(),
    });
  });

  it('delivers every event at least once, with its key, in order per key, one id per event', async ({
    annotate,
  }) => {
    const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
      vi.spyOn(console, method),
    );
    const { sink, topic, errors } = openSink({ maxBatch: 200 });
    const written: LivegateEvent[] = [];
    for (let index = 0; index < 3000; index++) {
      const event = index % 500 === 0 ? riskLimitBreached(index) : sampleEvent(index);
      written.push(event);
      sink.write(event);
    }
    await sink.flush();

    const records = received(await readTopicUntil(bootstrap(), topic, (all) => all.length >= 3000));
    const distinct = distinctBySeq(records);
    expect(distinct.map(({ envelope }) => envelope.seq)).toEqual(
      written.map((_, index) => index + 1),
    );
    expect(distinct.map(({ envelope }) => envelope.id)).toEqual(
      written.map((_, index) => `run-1:${index + 1}`),
    );
    expect(distinct.map(({ key }) => key)).toEqual(written.map(expectedKey));
    expect(distinct.every(({ envelope }) => envelope.v === 1)).toBe(true);
    expectOrderPerKey(records);
    expect(sink.stats()).toMatchObject({ queued: 0, delivered: 3000, dropped: 0 });
    expect(errors).toEqual([]);

    const partitions = await partitionCount(bootstrap(), topic);
    const used = new Set(records.map((record) => record.partition)).size;
    await annotate(
      `auto-created topic: ${partitions} partitions, ${used} used by 4 keys; ` +
        `${records.length - 3000} duplicate deliveries`,
    );
    expect(partitions).toBeGreaterThanOrEqual(1);
    await sink.close();
    for (const spy of consoleSpies) {
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }
  });

  it('keeps every critical event through a burst that overflows the queue', async () => {
    const { sink, topic, errors } = openSink({ maxQueued: 100, maxBatch: 50 });
    const critical: number[] = [];
    for (let index = 1; index <= 5000; index++) {
      if (index % 100 === 0) {
        sink.write(riskLimitBreached(index));
        critical.push(index);
      } else {
        sink.write(sampleEvent(index));
      }
    }
    await sink.flush();

    const stats = sink.stats();
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.delivered + stats.dropped).toBe(5000);
    const records = received(
      await readTopicUntil(bootstrap(), topic, (all) => all.length >= stats.delivered),
    );
    const seqs = distinctBySeq(records).map(({ envelope }) => envelope.seq);
    expect(seqs).toHaveLength(stats.delivered);
    expect(seqs.filter((seq) => seq % 100 === 0)).toEqual(critical);
    expectOrderPerKey(records);
    // One overload episode, reported once.
    expect(errors.map((error) => error.code)).toEqual(['ERR_JOURNAL_FAILED']);
    expect(errors[0]?.message).toMatch(/dropping non-critical events/);
    await sink.close();
  });

  it('delivers the tail on close() without a flush', async () => {
    const { sink, topic } = openSink({ maxBatch: 100 });
    for (let index = 0; index < 1234; index++) sink.write(sampleEvent(index));
    await sink.close();
    const records = received(await readTopicUntil(bootstrap(), topic, (all) => all.length >= 1234));
    expect(distinctBySeq(records)).toHaveLength(1234);
  });

  it('names critical events while no broker answers, and close() gives up naming them', async () => {
    const { sink, errors } = openSink({
      brokers: [`127.0.0.1:${await freePort()}`],
      flushTimeoutMs: 500,
    });
    sink.write(riskLimitBreached(1));
    sink.write(sampleEvent(2));
    const alarm = await waitFor(
      'an alarm naming the critical event',
      () => errors.find((error) => error.message.includes('RiskLimitBreached run-1:1')),
      20_000,
    );
    expect(alarm.code).toBe('ERR_JOURNAL_FAILED');
    expect(sink.stats()).toMatchObject({ queued: 2, delivered: 0, failedBatches: 1 });

    const closing = await sink.close().catch((error: unknown) => error);
    expect(isLivegateError(closing, 'ERR_JOURNAL_FAILED')).toBe(true);
    expect((closing as LivegateError).message).toMatch(
      /critical among them: RiskLimitBreached run-1:1/,
    );
  });

  it('rejects bad options with ERR_CONFIG_INVALID naming every one', () => {
    let caught: unknown;
    try {
      new KafkaEventSink({
        brokers: [],
        topic: 'bad topic',
        runId: '',
        maxQueued: 0,
        onError: () => undefined,
        partitions: 3,
      } as KafkaEventSinkOptions);
    } catch (error) {
      caught = error;
    }
    expect(isLivegateError(caught, 'ERR_CONFIG_INVALID')).toBe(true);
    const message = (caught as LivegateError).message;
    for (const option of ['brokers', 'topic', 'runId', 'maxQueued', 'partitions: unknown option']) {
      expect(message).toContain(option);
    }
  });
});

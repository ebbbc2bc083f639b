// NatsEventSink against the machine's nats-server (JetStream), read back with an ordered consumer.

import { randomUUID } from 'node:crypto';
import {
  jetstream,
  JetStreamApiError,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isLivegateError, type LivegateError } from '../../src/core/errors.js';
import type { LivegateEvent } from '../../src/core/events.js';
import {
  eventSubject,
  NatsEventSink,
  type NatsEventSinkOptions,
} from '../../src/adapters/sinks/nats-event-sink.js';
import { runEventSinkContract } from '../contracts/event-sink.contract.js';
import { MACHINE_NATS_URL, machineNatsAvailable } from '../support/nats-server.js';
import { range, riskLimitBreached, sampleEvent, waitFor } from './journal-fixtures.js';
import { freePort } from '../support/server-process.js';

// Skips with a warning when there is no JetStream server; in CI that is an error instead.
const natsRunning = await machineNatsAvailable('NatsEventSink');

interface Stored {
  readonly subject: string;
  readonly streamSeq: number;
  readonly envelope: { v: number; id: string; seq: number; type: string; engineId: string };
}

let admin: NatsConnection | undefined;
let manager: JetStreamManager;
let client: JetStreamClient;
const streamsCreated: string[] = [];

function openSink(options: Partial<NatsEventSinkOptions> = {}) {
  const suffix = randomUUID().slice(0, 8);
  const stream = options.stream ?? `LIVEGATE_TEST_${suffix}`;
  const subjectPrefix = options.subjectPrefix ?? `livegate.test.${suffix}`;
  streamsCreated.push(stream);
  const errors: LivegateError[] = [];
  const sink = new NatsEventSink({
    servers: MACHINE_NATS_URL,
    stream,
    subjectPrefix,
    runId: 'run-1',
    onError: (error) => errors.push(error),
    ...options,
  });
  return { sink, stream, subjectPrefix, errors };
}

/** Everything in the stream, in stream order, through an ordered consumer. */
async function readStream(stream: string, timeoutMs = 20_000): Promise<Stored[]> {
  let total: number;
  try {
    total = (await manager.streams.info(stream)).state.messages;
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === 10059) return [];
    throw error;
  }
  const stored: Stored[] = [];
  if (total === 0) return stored;
  const consumer = await client.consumers.get(stream);
  const deadline = Date.now() + timeoutMs;
  while (stored.length < total) {
    if (Date.now() > deadline) throw new Error(`read ${stored.length} of ${total} from ${stream}`);
    const messages = await consumer.fetch({ max_messages: total - stored.length, expires: 2000 });
    for await (const message of messages) {
      stored.push({
        subject: message.subject,
        streamSeq: message.seq,
        envelope: message.json<Stored['envelope']>(),
      });
    }
  }
  return stored;
}

/** The event as written: the envelope's fields removed. */
const withoutEnvelope = ({
  v: _v,
  id: _id,
  seq: _seq,
  ...event
}: Stored['envelope']): LivegateEvent => event as unknown as LivegateEvent;

describe.skipIf(!natsRunning)('NatsEventSink', () => {
  beforeAll(async () => {
    admin = await connect({ servers: MACHINE_NATS_URL });
    manager = await jetstreamManager(admin);
    client = jetstream(admin);
  });

  afterEach(async () => {
    for (const stream of streamsCreated.splice(0)) {
      await manager.streams.delete(stream).catch(() => undefined);
    }
  });

  afterAll(async () => {
    await admin?.close();
  });

  runEventSinkContract('NatsEventSink', () => {
    const { sink, stream } = openSink({ runId: 'contract' });
    return Promise.resolve({
      sink,
      // Stream order is publish order, and the server keeps one copy per id: no sorting, no de-duplication here.
      readBack: async () =>
        (await readStream(stream)).map(({ envelope }) => withoutEnvelope(envelope)),
      cleanup: () => Promise.resolve(),
    });
  });

  it('stores every event once, in seq order, on a subject per engine and type, in the stream it creates', async () => {
    const { sink, stream, subjectPrefix, errors } = openSink({ maxBatch: 100 });
    const written: LivegateEvent[] = [];
    for (let index = 0; index < 2000; index++) {
      const event =
        index % 400 === 0
          ? riskLimitBreached(index, 'host.example.com')
          : { ...sampleEvent(index), engineId: index % 2 === 0 ? 'engine-1' : 'host.example.com' };
      written.push(event);
      sink.write(event);
    }
    await sink.flush();

    const stored = await readStream(stream);
    expect(stored.map(({ envelope }) => envelope.seq)).toEqual(range(1, 2000));
    expect(new Set(stored.map(({ envelope }) => envelope.id)).size).toBe(2000);
    expect(stored.map(({ subject }) => subject)).toEqual(
      written.map((event) => eventSubject(subjectPrefix, event.engineId, event.type)),
    );
    // A dotted host name stays one subject token.
    expect(stored[0]?.subject).toBe(`${subjectPrefix}.host%2Eexample%2Ecom.RiskLimitBreached`);
    // Per subject, stream order and run order agree.
    const lastSeqBySubject = new Map<string, number>();
    for (const { subject, envelope } of stored) {
      expect(envelope.seq).toBeGreaterThan(lastSeqBySubject.get(subject) ?? 0);
      lastSeqBySubject.set(subject, envelope.seq);
    }
    expect(errors).toEqual([]);

    const { config } = await manager.streams.info(stream);
    expect(config).toMatchObject({
      subjects: [`${subjectPrefix}.>`],
      storage: 'file',
      retention: 'limits',
      duplicate_window: nanos(120_000),
    });
    await sink.close();
  });

  it('stores a re-sent event once: the server drops retries with the same id inside the window', async () => {
    const first = openSink();
    for (let index = 0; index < 100; index++) first.sink.write(sampleEvent(index));
    await first.sink.close();
    // The same run publishing the same ids again, as a retried batch would.
    const again = openSink({ stream: first.stream, subjectPrefix: first.subjectPrefix });
    for (let index = 0; index < 110; index++) again.sink.write(sampleEvent(index));
    await again.sink.close();

    const stored = await readStream(first.stream);
    expect(stored.map(({ envelope }) => envelope.seq)).toEqual(range(1, 110));
  });

  it('keeps every critical event through a burst that overflows the queue', async () => {
    const { sink, stream, errors } = openSink({ maxQueued: 100, maxBatch: 50 });
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
    const seqs = (await readStream(stream)).map(({ envelope }) => envelope.seq);
    expect(seqs).toHaveLength(stats.delivered);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.filter((seq) => seq % 100 === 0)).toEqual(critical);
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/dropping non-critical events/),
    ]);
    await sink.close();
  });

  it('creates the stream again when it is deleted under a running sink', async () => {
    const { sink, stream } = openSink();
    sink.write(sampleEvent(1));
    await sink.flush();
    await manager.streams.delete(stream);
    sink.write(riskLimitBreached(2));
    await sink.flush();

    expect((await readStream(stream)).map(({ envelope }) => envelope.seq)).toEqual([2]);
    expect(sink.stats()).toMatchObject({ delivered: 2, dropped: 0 });
    expect(sink.stats().retries).toBeGreaterThanOrEqual(1);
    await sink.close();
  });

  it('with no server: write() never blocks, critical events are named, the rest dropped and counted', async () => {
    const { sink, errors } = openSink({
      servers: `127.0.0.1:${await freePort()}`,
      maxQueued: 100,
      flushTimeoutMs: 500,
    });
    const started = performance.now();
    sink.write(riskLimitBreached(0));
    for (let index = 1; index <= 1000; index++) sink.write(sampleEvent(index));
    sink.write(riskLimitBreached(1001));
    const writeMs = performance.now() - started;

    // A few ms for these 1002 writes on a 2-CPU machine; the bound is for a loaded CI run.
    expect(writeMs).toBeLessThan(1000);
    expect(sink.stats()).toMatchObject({ queued: 101, dropped: 901, delivered: 0 });
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/100 events waiting; dropping non-critical events/),
    ]);
    const alarm = await waitFor(
      'an alarm naming the critical events',
      () => errors.find((error) => error.message.includes('critical events waiting')),
      20_000,
    );
    expect(alarm.details).toEqual({
      criticalEvents: ['RiskLimitBreached run-1:1', 'RiskLimitBreached run-1:1002'],
    });
    expect(sink.stats().failedBatches).toBe(1);

    const closing = await sink.close().catch((error: unknown) => error);
    expect(isLivegateError(closing, 'ERR_JOURNAL_FAILED')).toBe(true);
    expect((closing as LivegateError).details).toEqual({
      undeliveredCriticalEvents: ['RiskLimitBreached run-1:1', 'RiskLimitBreached run-1:1002'],
    });
    expect(sink.stats()).toMatchObject({ queued: 0, dropped: 901 + 101 });
  });

  it('rejects bad options with ERR_CONFIG_INVALID naming every one', () => {
    let caught: unknown;
    try {
      new NatsEventSink({
        servers: [],
        stream: 'has.dot',
        subjectPrefix: 'events.>',
        runId: 'run-1',
        maxBatch: 1.5,
        onError: 'log',
      } as unknown as NatsEventSinkOptions);
    } catch (error) {
      caught = error;
    }
    expect(isLivegateError(caught, 'ERR_CONFIG_INVALID')).toBe(true);
    const message = (caught as LivegateError).message;
    for (const option of ['servers', 'stream', 'subjectPrefix', 'maxBatch', 'onError']) {
      expect(message).toContain(`${option}:`);
    }
  });
});

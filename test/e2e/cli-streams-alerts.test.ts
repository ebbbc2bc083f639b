// `livegate run` configured for event streams and webhook alerts, as an operator would: a real
// process, librdkafka's mock cluster read back by kcat, the machine's NATS JetStream, a local
// HTTP receiver for the webhook.
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  kcatInstalled,
  readTopicUntil,
  startKafkaMockCluster,
  type KafkaMockCluster,
} from '../support/kafka-mock-cluster.js';
import { MACHINE_NATS_URL, machineNatsAvailable } from '../support/nats-server.js';
import { runCli, startCli, waitFor } from '../support/cli-harness.js';

interface Envelope {
  readonly v: number;
  readonly id: string;
  readonly seq: number;
  readonly type: string;
  readonly enforcedState?: string;
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function webhookReceiver(): Promise<{ url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      bodies.push(JSON.parse(text));
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hooks/secret-path`, bodies };
}

async function readNatsStream(stream: string): Promise<Envelope[]> {
  const connection = await connect({ servers: MACHINE_NATS_URL });
  try {
    const manager = await jetstreamManager(connection);
    const total = (await manager.streams.info(stream)).state.messages;
    const consumer = await jetstream(connection).consumers.get(stream);
    const stored: Envelope[] = [];
    while (stored.length < total) {
      const messages = await consumer.fetch({ max_messages: total - stored.length, expires: 2000 });
      for await (const message of messages) stored.push(message.json<Envelope>());
    }
    return stored;
  } finally {
    // drain, not close: the ordered consumer may still have a request in flight.
    await connection.drain();
  }
}

async function deleteNatsStream(stream: string): Promise<void> {
  const connection = await connect({ servers: MACHINE_NATS_URL });
  try {
    const manager = await jetstreamManager(connection);
    await manager.streams.delete(stream);
  } finally {
    await connection.close();
  }
}

describe.skipIf(!kcatInstalled && process.env.CI === undefined)(
  'livegate run with event streams and webhook alerts',
  () => {
    it('streams every event to Kafka and NATS and alerts the webhook on a kill', async () => {
      expect(kcatInstalled, 'kcat is missing: .ci/run installs it').toBe(true);
      expect(await machineNatsAvailable('streams e2e')).toBe(true);
      const cluster: KafkaMockCluster = await startKafkaMockCluster();
      cleanups.push(() => cluster.stop());
      const suffix = randomUUID().slice(0, 8);
      const topic = `livegate-e2e-${suffix}`;
      const stream = `LIVEGATE_E2E_${suffix}`;
      cleanups.push(() => deleteNatsStream(stream));
      const webhook = await webhookReceiver();
      const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-streams-'));
      const config = path.join(directory, 'livegate.yaml');
      await writeFile(
        config,
        [
          'streams:',
          `  kafka: { brokers: ["${cluster.bootstrap}"], topic: ${topic} }`,
          `  nats: { url: "${MACHINE_NATS_URL}", stream: ${stream}, subjectPrefix: e2e.${suffix} }`,
          'alerts:',
          `  webhook: { url: "${webhook.url}", initialBackoffMs: 50 }`,
          'http: { enabled: false }',
          '',
        ].join('\n'),
      );
      const stateDir = path.join(directory, 'state');
      const engine = startCli([
        'run',
        '--config',
        config,
        '--state-dir',
        stateDir,
        '--engine-id',
        'streamer',
        '--strategy',
        'one-order-per-tick',
        '--rate',
        '500',
        '--ticks',
        '0',
      ]);
      cleanups.push(async () => {
        engine.child.kill('SIGKILL');
        await engine.exited;
      });
      // The startup SAFE revision is a state change too: it reaches the webhook.
      await waitFor(
        'the startup alert',
        () => (webhook.bodies.length > 0 ? true : undefined),
        20_000,
      );
      const kill = await runCli([
        'kill',
        '--config',
        config,
        '--state-dir',
        stateDir,
        '--reason',
        'streams e2e',
      ]);
      expect(kill.code).toBe(0);
      await waitFor(
        'the ENGAGED alert',
        () =>
          webhook.bodies.some((body) => JSON.stringify(body).includes('ENGAGED'))
            ? true
            : undefined,
        20_000,
      );
      const engaged = webhook.bodies.find((body) => JSON.stringify(body).includes('ENGAGED')) as {
        text: string;
        livegate: { type: string; enforcedState: string; reason: string };
      };
      expect(engaged.text).toMatch(/kill switch ENGAGED/);
      expect(engaged.livegate).toMatchObject({
        type: 'KillSwitchChanged',
        enforcedState: 'ENGAGED',
        reason: 'streams e2e',
      });

      engine.child.kill('SIGTERM');
      expect((await engine.exited).code).toBe(0);

      // Graceful shutdown flushed both streams: RunStopped is the last event of the run.
      const records = await readTopicUntil(cluster.bootstrap, topic, (read) =>
        read.some((record) => record.payload?.includes('"RunStopped"') === true),
      );
      const fromKafka = records.map((record) => JSON.parse(record.payload ?? '{}') as Envelope);
      const fromNats = await readNatsStream(stream);
      for (const events of [fromKafka, fromNats]) {
        const types = new Set(events.map((event) => event.type));
        for (const type of [
          'RunStarted',
          'OrderSubmitted',
          'KillSwitchChanged',
          'TickBlocked',
          'RunStopped',
        ]) {
          expect(types.has(type), type).toBe(true);
        }
        expect(
          events.every(
            (event) => event.v === 1 && event.id === `${event.id.split(':')[0]}:${event.seq}`,
          ),
        ).toBe(true);
        // At-least-once: duplicates are allowed, so compare the set of ids with the seqs seen.
        const seqs = [...new Set(events.map((event) => event.seq))].sort((a, b) => a - b);
        expect(seqs[0]).toBe(1);
        expect(seqs.at(-1)).toBe(seqs.length);
        expect(
          events.some(
            (event) => event.type === 'KillSwitchChanged' && event.enforcedState === 'ENGAGED',
          ),
        ).toBe(true);
      }
    });
  },
);

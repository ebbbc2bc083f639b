// librdkafka's mock Kafka cluster, started through kcat, and a second independent kcat to read topics back.

import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';

export const kcatInstalled: boolean =
  spawnSync('kcat', ['-V'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

/** `-X debug=mock` prints `bootstrap.servers=...`; without it the notice line still names the address. */
const BOOTSTRAP = /(?:bootstrap\.servers=|replaced with )(127\.0\.0\.1:\d+)/;

export interface KafkaMockCluster {
  /** `127.0.0.1:<port>`, chosen by the mock. */
  readonly bootstrap: string;
  stop(): Promise<void>;
}

/** One record as kcat's -J prints it. */
export interface KafkaRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly payload: string | null;
}

/**
 * Spawns `kcat -u -b x:9092 -X test.mock.num.brokers=1 -C -t <anchor>`: kcat replaces the bootstrap
 * servers with an in-process mock cluster and serves it until killed. Its stderr is read for the
 * address and then drained, so a full pipe can never stall the mock.
 */
export async function startKafkaMockCluster(timeoutMs = 20_000): Promise<KafkaMockCluster> {
  const child = spawn(
    'kcat',
    ['-u', '-b', 'x:9092', '-X', 'test.mock.num.brokers=1', '-C', '-t', 'livegate-mock-anchor'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  const bootstrap = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(`kcat printed no mock bootstrap address within ${timeoutMs} ms: ${stderrTail}`),
      );
    }, timeoutMs);
    child.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4096);
      const match = BOOTSTRAP.exec(stderrTail);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`kcat exited (${code ?? signal}) before serving: ${stderrTail}`));
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const escalate = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(escalate);
  };
  try {
    return { bootstrap: await bootstrap, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Every record of the topic, partition by partition, as a separate kcat consumer sees it. */
export async function readTopic(bootstrap: string, topic: string): Promise<KafkaRecord[]> {
  const output = await runKcat([
    '-b',
    bootstrap,
    '-C',
    '-t',
    topic,
    '-o',
    'beginning',
    '-e',
    '-J',
    '-q',
  ]);
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const { partition, offset, key, payload } = JSON.parse(line) as KafkaRecord;
      return { partition, offset, key, payload };
    });
}

/** Polls the topic until `done` accepts what was read, failing after `timeoutMs`. */
export async function readTopicUntil(
  bootstrap: string,
  topic: string,
  done: (records: readonly KafkaRecord[]) => boolean,
  timeoutMs = 20_000,
): Promise<KafkaRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await readTopic(bootstrap, topic);
    if (done(records)) return records;
    if (Date.now() > deadline) {
      throw new Error(
        `topic ${topic} still incomplete after ${timeoutMs} ms (${records.length} records)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** How many partitions the cluster gave the topic, from kcat's metadata listing. */
export async function partitionCount(bootstrap: string, topic: string): Promise<number> {
  const listing = JSON.parse(await runKcat(['-b', bootstrap, '-L', '-t', topic, '-J'])) as {
    topics: Array<{ topic: string; partitions: unknown[] }>;
  };
  const found = listing.topics.find((entry) => entry.topic === topic);
  if (found === undefined) throw new Error(`kcat lists no topic ${topic}`);
  return found.partitions.length;
}

function runKcat(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'kcat',
      args,
      { maxBuffer: 256 * 1024 * 1024, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(new Error(`kcat ${args.join(' ')} failed: ${error.message} ${stderr}`));
      },
    );
  });
}

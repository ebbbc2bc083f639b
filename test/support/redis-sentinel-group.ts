// A Redis Sentinel group of a test's own on free loopback ports: one primary, one replica and three
// sentinels (quorum 2), each a process the test may SIGKILL, freeze or restart by pid.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisAnswers } from './redis-server.js';
import { freePort, ServerProcess } from './server-process.js';

const START_DEADLINE_MS = 10_000;
/** Sentinel settings: a primary silent for 1 s is down; a stuck failover is retried after 5 s. */
const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 5_000;

/**
 * How to start a sentinel: Debian's redis-sentinel is redis-server under another name, so without
 * that package `redis-server FILE --sentinel` runs the same thing.
 */
export function sentinelCommand(file: string): { command: string; args: string[] } {
  const probe = spawnSync('redis-sentinel', ['--version'], { encoding: 'utf8' });
  return probe.status === 0
    ? { command: 'redis-sentinel', args: [file] }
    : { command: 'redis-server', args: [file, '--sentinel'] };
}

/** Whether tests can start the group (redis-server is all it needs); only CI insists. */
export function redisServerInstalled(suite: string): boolean {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  const problem = `${suite}: cannot run redis-server (${probe.error?.message ?? probe.stderr})`;
  if (process.env['CI']) throw new Error(`${problem} (CI installs it: see .ci/run)`);
  console.warn(`SKIPPED ${problem}; install Debian's redis-server to run it.`);
  return false;
}

/** One command to one server with short deadlines and no retries; undefined if it did not answer. */
export async function ask(port: number, ...args: (string | number)[]): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: 500,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableReadyCheck: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(String(args[0]), ...args.slice(1).map(String));
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/** A probe write on the primary is acknowledged by a replica within 200 ms (WAIT on its connection). */
async function acknowledgesWrites(primaryPort: number): Promise<boolean> {
  const client = new Redis({
    host: '127.0.0.1',
    port: primaryPort,
    lazyConnect: true,
    connectTimeout: 500,
    commandTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const replies = await client.pipeline().set('livegate-test:probe', '1').wait(1, 200).exec();
    return replies?.[1]?.[1] === 1;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** `INFO replication` as a map, or an empty one if the server did not answer. */
export async function replicationInfo(port: number): Promise<Map<string, string>> {
  const text = await ask(port, 'INFO', 'replication');
  const entries = typeof text === 'string' ? text.split('\r\n') : [];
  return new Map(
    entries
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
  );
}

export interface RedisNode {
  readonly name: string;
  readonly port: number;
  readonly process: ServerProcess;
  /** (Re)starts the server with the arguments it was first started with. */
  start(): Promise<void>;
  /** Restarts a lost primary the way an operator would: as a replica of the current primary. */
  startAsReplicaOf(primary: RedisNode): Promise<void>;
}

export interface GroupOptions {
  /** 0: a primary and its replica only, for tests that need no failover. */
  readonly sentinels?: number;
  readonly masterName?: string;
  /** How long a silent primary takes to count as down (`down-after-milliseconds`); 1000 by default. */
  readonly downAfterMs?: number;
}

export class RedisSentinelGroup {
  private constructor(
    readonly masterName: string,
    readonly nodes: readonly RedisNode[],
    readonly sentinels: readonly RedisNode[],
    private readonly directory: string,
    private readonly downAfterMs: number,
  ) {}

  /** What `killSwitch.url` and `--store` take. */
  get url(): string {
    const hosts = this.sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',');
    return `redis+sentinel://${hosts}/${this.masterName}`;
  }

  static async start(options: GroupOptions = {}): Promise<RedisSentinelGroup> {
    const masterName = options.masterName ?? 'livegate-test';
    const directory = await mkdtemp(join(tmpdir(), 'livegate-sentinel-'));
    const downAfterMs = options.downAfterMs ?? DOWN_AFTER_MS;
    const group = new RedisSentinelGroup(masterName, [], [], directory, downAfterMs);
    try {
      const primary = await group.startNode('primary', []);
      const replica = await group.startNode('replica', [
        '--replicaof',
        '127.0.0.1',
        String(primary.port),
      ]);
      (group.nodes as RedisNode[]).push(primary, replica);
      await group.waitForReplicaLink(primary, replica);
      for (let index = 1; index <= (options.sentinels ?? 3); index += 1) {
        (group.sentinels as RedisNode[]).push(await group.startSentinel(index, primary.port));
      }
      if (group.sentinels.length > 0) await group.waitUntilSentinelsAgree(primary.port);
      return group;
    } catch (error) {
      await group.dispose();
      throw error;
    }
  }

  nodeOn(port: number): RedisNode {
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (node === undefined) throw new Error(`no node of the group listens on ${port}`);
    return node;
  }

  /** The node a majority of the sentinels name primary right now (undefined while they differ). */
  async primaryNamedBySentinels(): Promise<RedisNode | undefined> {
    const ports = await Promise.all(
      this.sentinels.map(async (sentinel) => {
        const reply = await ask(
          sentinel.port,
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          this.masterName,
        );
        return Array.isArray(reply) ? Number(reply[1]) : undefined;
      }),
    );
    const port = ports.find((candidate) => ports.filter((p) => p === candidate).length >= 2);
    return port === undefined ? undefined : this.nodeOn(port);
  }

  /** Polls until a node other than `old` is named primary by the sentinels and says role:master. */
  async waitForNewPrimary(old: RedisNode, timeoutMs = 30_000): Promise<RedisNode> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const named = await this.primaryNamedBySentinels();
      if (named !== undefined && named !== old) {
        const info = await replicationInfo(named.port);
        if (info.get('role') === 'master') return named;
      }
      if (performance.now() > deadline) {
        throw new Error(`no new primary within ${timeoutMs} ms:\n${this.sentinelOutput()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Polls until `replica` has a live link to `primary`, the primary counts it, a write there is
   * acknowledged (after a full sync the primary streams nothing until the replica's first ACK,
   * up to a second later), and (with sentinels) every sentinel lists it as a healthy replica.
   */
  async waitForReplicaLink(
    primary: RedisNode,
    replica: RedisNode,
    timeoutMs = 30_000,
  ): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const [ofReplica, ofPrimary] = await Promise.all([
        replicationInfo(replica.port),
        replicationInfo(primary.port),
      ]);
      const linked =
        ofReplica.get('master_link_status') === 'up' &&
        ofReplica.get('master_port') === String(primary.port) &&
        [...ofPrimary.values()].some((value) =>
          value.includes(`port=${replica.port},state=online`),
        );
      if (
        linked &&
        (await acknowledgesWrites(primary.port)) &&
        (await this.sentinelsSeeHealthyReplica(replica))
      ) {
        return;
      }
      if (performance.now() > deadline) {
        throw new Error(
          `replica ${replica.port} not linked to ${primary.port} within ${timeoutMs} ms:\n${replica.process.printed}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGKILLs every process and removes the directory. */
  async dispose(): Promise<void> {
    for (const node of [...this.sentinels, ...this.nodes]) await node.process.dispose();
    await rm(this.directory, { recursive: true, force: true });
  }

  private async sentinelsSeeHealthyReplica(replica: RedisNode): Promise<boolean> {
    for (const sentinel of this.sentinels) {
      const reply = await ask(sentinel.port, 'SENTINEL', 'REPLICAS', this.masterName);
      if (!Array.isArray(reply)) return false;
      const healthy = reply.some((entry) => {
        const fields = pairs(entry);
        return fields.get('port') === String(replica.port) && fields.get('flags') === 'slave';
      });
      if (!healthy) return false;
    }
    return true;
  }

  private async waitUntilSentinelsAgree(primaryPort: number): Promise<void> {
    const deadline = performance.now() + 30_000;
    for (;;) {
      let ready = true;
      for (const sentinel of this.sentinels) {
        const fields = pairs(await ask(sentinel.port, 'SENTINEL', 'MASTER', this.masterName));
        ready &&=
          fields.get('port') === String(primaryPort) &&
          fields.get('num-other-sentinels') === String(this.sentinels.length - 1) &&
          fields.get('num-slaves') === '1';
      }
      const replica = this.nodes[1];
      if (ready && replica !== undefined && (await this.sentinelsSeeHealthyReplica(replica)))
        return;
      if (performance.now() > deadline) {
        throw new Error(
          `sentinels did not discover each other and the replica:\n${this.sentinelOutput()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async startNode(name: string, extra: readonly string[]): Promise<RedisNode> {
    const port = await freePort();
    const directory = join(this.directory, name);
    await mkdir(directory, { recursive: true });
    const process = new ServerProcess({
      command: 'redis-server',
      port,
      directory,
      startDeadlineMs: START_DEADLINE_MS,
      answers: () => redisAnswers(`redis://127.0.0.1:${port}`, 500),
    });
    // No persistence, like the machine's server; a replica syncs over the socket at once.
    const args = [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      ...['--dir', directory, '--daemonize', 'no', '--repl-diskless-sync-delay', '0'],
      ...extra,
    ];
    const node: RedisNode = {
      name,
      port,
      process,
      start: () => process.start(args),
      startAsReplicaOf: (primary) =>
        process.start([...args, '--replicaof', '127.0.0.1', String(primary.port)]),
    };
    await node.start();
    return node;
  }

  private async startSentinel(index: number, primaryPort: number): Promise<RedisNode> {
    const port = await freePort();
    const name = `sentinel-${index}`;
    const directory = join(this.directory, name);
    await mkdir(directory, { recursive: true });
    // Sentinel rewrites its config file as it learns the group: each needs its own, writable.
    const file = join(directory, 'sentinel.conf');
    await writeFile(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        'daemonize no',
        `dir ${directory}`,
        `sentinel monitor ${this.masterName} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${this.masterName} ${this.downAfterMs}`,
        `sentinel failover-timeout ${this.masterName} ${FAILOVER_TIMEOUT_MS}`,
        `sentinel parallel-syncs ${this.masterName} 1`,
        '',
      ].join('\n'),
    );
    const { command, args } = sentinelCommand(file);
    const process = new ServerProcess({
      command,
      port,
      directory,
      startDeadlineMs: START_DEADLINE_MS,
      answers: () => redisAnswers(`redis://127.0.0.1:${port}`, 500),
    });
    const node: RedisNode = {
      name,
      port,
      process,
      start: () => process.start(args),
      startAsReplicaOf: () => Promise.reject(new Error('a sentinel is no replica')),
    };
    await node.start();
    return node;
  }

  private sentinelOutput(): string {
    return this.sentinels
      .map((s) => `--- ${s.name}\n${s.process.printed.slice(-2_000)}`)
      .join('\n');
  }
}

/** A flat [key, value, key, value...] reply as a map. */
function pairs(reply: unknown): Map<string, string> {
  const map = new Map<string, string>();
  if (!Array.isArray(reply)) return map;
  for (let index = 0; index + 1 < reply.length; index += 2) {
    map.set(String(reply[index]), String(reply[index + 1]));
  }
  return map;
}

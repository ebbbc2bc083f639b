// A three-node NATS JetStream cluster of a test's own on free loopback ports: nodes the test may
// SIGKILL, restart, or put in lame-duck mode, and a way to find which node leads a stream.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort, ServerProcess } from './server-process.js';

const START_DEADLINE_MS = 20_000;

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface ClusterNode {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly process: ServerProcess;
  /** (Re)starts the node with its config and store dir; resolves once it listens. */
  start(): Promise<void>;
}

export class NatsCluster {
  private constructor(
    readonly nodes: readonly ClusterNode[],
    private readonly directory: string,
  ) {}

  /** Every node's client URL, comma-separated: what `--store` and `killSwitch.url` accept. */
  get url(): string {
    return this.nodes.map((node) => node.url).join(',');
  }

  static async start(size = 3): Promise<NatsCluster> {
    const directory = await mkdtemp(join(tmpdir(), 'livegate-nats-cluster-'));
    const ports = await Promise.all(
      Array.from({ length: size }, async () => ({
        client: await freePort(),
        cluster: await freePort(),
      })),
    );
    const routes = ports.map(({ cluster }) => `nats-route://127.0.0.1:${cluster}`);
    const nodes = await Promise.all(
      ports.map(async ({ client, cluster }, index) => {
        const name = `n${index + 1}`;
        const nodeDirectory = join(directory, name);
        await mkdir(nodeDirectory, { recursive: true });
        const file = join(nodeDirectory, 'server.conf');
        await writeFile(
          file,
          [
            `server_name: ${name}`,
            `listen: 127.0.0.1:${client}`,
            `jetstream { store_dir: "${join(nodeDirectory, 'js')}" }`,
            `cluster { name: livegate-test, listen: 127.0.0.1:${cluster}, routes: [${routes.join(', ')}] }`,
            '',
          ].join('\n'),
        );
        const process = new ServerProcess({
          command: 'nats-server',
          port: client,
          directory: nodeDirectory,
          startDeadlineMs: START_DEADLINE_MS,
          answers: () => listening(client),
        });
        const node: ClusterNode = {
          name,
          port: client,
          url: `nats://127.0.0.1:${client}`,
          process,
          start: () => process.start(['-c', file]),
        };
        return node;
      }),
    );
    const cluster = new NatsCluster(nodes, directory);
    await Promise.all(nodes.map((node) => node.start()));
    await cluster.waitForJetStream();
    return cluster;
  }

  /** A client of the whole cluster (any node). */
  connect(): Promise<NatsConnection> {
    return connect({ servers: this.nodes.map((node) => node.url), timeout: 5_000 });
  }

  /** Waits until JetStream can place a stream on every node (meta leader elected, peers known). */
  async waitForJetStream(deadlineMs = START_DEADLINE_MS): Promise<void> {
    const deadline = performance.now() + deadlineMs;
    let problem: unknown;
    while (performance.now() < deadline) {
      const connection = await this.connect().catch((error: unknown) => {
        problem = error;
        return undefined;
      });
      if (connection !== undefined) {
        try {
          const manager = await jetstreamManager(connection, { timeout: 2_000 });
          const probe = `PROBE_${Math.random().toString(36).slice(2, 8)}`;
          await manager.streams.add({
            name: probe,
            subjects: [`livegate.${probe}`],
            num_replicas: this.nodes.length,
          });
          await manager.streams.delete(probe);
          return;
        } catch (error) {
          problem = error;
        } finally {
          await connection.close();
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the NATS cluster has no JetStream after ${deadlineMs} ms: ${String(problem)}`);
  }

  /** The node that leads `stream` now, by the stream's cluster info. */
  async leaderOf(stream: string): Promise<ClusterNode> {
    const connection = await this.connect();
    try {
      const info = await (
        await jetstreamManager(connection, { timeout: 2_000 })
      ).streams.info(stream);
      const leader = info.cluster?.leader;
      const node = this.nodes.find((candidate) => candidate.name === leader);
      if (node === undefined) throw new Error(`stream ${stream} has no leader (${String(leader)})`);
      return node;
    } finally {
      await connection.close();
    }
  }

  /**
   * Asks the stream's leader to hand over (the runbook's `nats stream cluster step-down`) and
   * waits until another node leads it.
   */
  async stepDown(stream: string): Promise<ClusterNode> {
    const previous = await this.leaderOf(stream);
    const connection = await this.connect();
    try {
      await connection.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, '', { timeout: 5_000 });
    } finally {
      await connection.close();
    }
    const deadline = performance.now() + 20_000;
    for (;;) {
      const leader = await this.leaderOf(stream).catch(() => undefined);
      if (leader !== undefined && leader !== previous) return leader;
      if (performance.now() > deadline) throw new Error(`${stream} kept leader ${previous.name}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits until every replica of the stream is current (a restarted node caught up). */
  async waitForReplicas(stream: string, deadlineMs = 20_000): Promise<void> {
    const deadline = performance.now() + deadlineMs;
    for (;;) {
      const connection = await this.connect().catch(() => undefined);
      if (connection !== undefined) {
        try {
          const manager = await jetstreamManager(connection, { timeout: 2_000 });
          const info = await manager.streams.info(stream);
          const replicas = info.cluster?.replicas ?? [];
          if (
            info.cluster?.leader !== undefined &&
            replicas.length === this.nodes.length - 1 &&
            replicas.every((replica) => replica.current)
          ) {
            return;
          }
        } catch {
          // electing or reconnecting: ask again
        } finally {
          await connection.close();
        }
      }
      if (performance.now() > deadline) throw new Error(`${stream}: replicas not current`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Kills every node and removes the store dirs. */
  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.process.dispose()));
    await rm(this.directory, { recursive: true, force: true });
  }
}

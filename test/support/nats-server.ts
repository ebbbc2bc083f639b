// Real NATS for tests: the machine's server for contracts, and private servers tests may stop or freeze.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort, ServerProcess } from './server-process.js';

/** The machine's server (CI starts it in .ci/run); override with LIVEGATE_NATS_URL. */
export const MACHINE_NATS_URL = process.env['LIVEGATE_NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** A namespace no other run uses (a bucket name: letters, digits, _ and -). */
export function uniqueNamespace(prefix = 'test'): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why a server cannot hold KV state (no answer, no JetStream), or undefined when it can. */
export async function natsProblem(url: string, timeoutMs = 2_000): Promise<string | undefined> {
  let connection: NatsConnection;
  try {
    connection = await connect({ servers: url, timeout: timeoutMs, reconnect: false });
  } catch (error) {
    return `no NATS server answers at ${url} (${messageOf(error)})`;
  }
  try {
    await (await jetstreamManager(connection, { timeout: timeoutMs })).getAccountInfo();
    return undefined;
  } catch (error) {
    return `the NATS server at ${url} has no JetStream (${messageOf(error)})`;
  } finally {
    await connection.close();
  }
}

/**
 * Whether the machine's server can be used. Outside CI a missing server skips the suite with a
 * warning naming it; in CI (where .ci/run starts it) it is an error, so nothing is skipped silently.
 */
export async function machineNatsAvailable(suite: string): Promise<boolean> {
  const problem = await natsProblem(MACHINE_NATS_URL);
  if (problem === undefined) return true;
  if (process.env['CI']) throw new Error(`${suite}: ${problem} (CI must start it: see .ci/run)`);
  console.warn(`SKIPPED ${suite}: ${problem}; start nats-server -js or set LIVEGATE_NATS_URL.`);
  return false;
}

/** Whether this machine can start private servers; same skip-or-fail rule as above. */
export async function natsServerBinaryAvailable(suite: string): Promise<boolean> {
  const found = await new Promise<boolean>((resolve) => {
    const child = spawn('nats-server', ['--version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
  if (found) return true;
  const problem = `${suite}: no nats-server binary on the PATH to start a private server`;
  if (process.env['CI']) throw new Error(`${problem} (CI installs it: see .ci/run)`);
  console.warn(`SKIPPED ${problem}; install nats-server (Debian package nats-server).`);
  return false;
}

/** A plain client of a namespace's bucket, to look at or damage state as an operator could. */
export async function openBucket(
  url: string,
  namespace: string,
): Promise<{ kv: KV; close(): Promise<void> }> {
  const connection = await connect({ servers: url, timeout: 5_000 });
  const kv = await new Kvm(connection).create(`${namespace}_killswitch`, {
    history: 1,
    allow_direct: false,
  });
  return { kv, close: () => connection.close() };
}

/** Deletes a namespace's bucket (and with it every key); a bucket never created is fine. */
export async function deleteNamespace(url: string, namespace: string): Promise<void> {
  const connection = await connect({ servers: url, timeout: 5_000 });
  try {
    const manager = await jetstreamManager(connection, { timeout: 5_000 });
    await manager.streams.delete(`KV_${namespace}_killswitch`).catch((error: unknown) => {
      if (!/stream not found/i.test(messageOf(error))) throw error;
    });
  } finally {
    await connection.close();
  }
}

/** A port nobody listens on right now (the OS picks it; closed again before use). */
export { freePort };

const START_DEADLINE_MS = 15_000;

/** A nats-server (JetStream) of our own on a free port, storing in a temp dir: stop, freeze, restart. */
export class PrivateNatsServer {
  private readonly process: ServerProcess;

  private constructor(
    readonly port: number,
    readonly directory: string,
  ) {
    this.process = new ServerProcess({
      command: 'nats-server',
      port,
      directory,
      startDeadlineMs: START_DEADLINE_MS,
      answers: async () => (await natsProblem(this.url, 1_000)) === undefined,
    });
  }

  static async start(): Promise<PrivateNatsServer> {
    const directory = await mkdtemp(join(tmpdir(), 'livegate-nats-'));
    const server = new PrivateNatsServer(await freePort(), directory);
    await server.start();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get printed(): string {
    return this.process.printed;
  }

  /** (Re)starts on the same port and store dir, and waits until JetStream answers. */
  start(): Promise<void> {
    return this.process.start([
      '-a',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-js',
      '-sd',
      this.directory,
    ]);
  }

  /** SIGTERM (a clean shutdown, the store flushed) and wait for the process to exit. */
  stop(): Promise<void> {
    return this.process.stop();
  }

  freeze(): void {
    this.process.freeze();
  }

  /** SIGKILL: a crash, nothing flushed. */
  kill(): Promise<void> {
    return this.process.kill();
  }

  thaw(): void {
    this.process.thaw();
  }

  /** Kills the process (frozen or not) and removes its store dir. */
  dispose(): Promise<void> {
    return this.process.dispose();
  }
}

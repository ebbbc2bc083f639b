// Real Redis for tests: the machine's server for contracts, and private servers tests may stop or freeze.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** The machine's server (CI starts it in .ci/run); override with LIVEGATE_REDIS_URL. */
export const MACHINE_REDIS_URL = process.env['LIVEGATE_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A namespace no other run uses, so tests never see each other's keys. */
export function uniqueNamespace(prefix = 'test'): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Answers a raw PING within the timeout (no client library, no reconnect loop). */
export function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    let reply = '';
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
    socket.on('error', () => finish(false));
  });
}

/**
 * Whether the machine's server can be used. Outside CI a missing server skips the suite with a
 * warning naming it; in CI (where .ci/run starts it) it is an error, so nothing is skipped silently.
 */
export async function machineRedisAvailable(suite: string): Promise<boolean> {
  if (await redisAnswers(MACHINE_REDIS_URL)) return true;
  const problem = `${suite}: no Redis answers PING at ${MACHINE_REDIS_URL}`;
  if (process.env['CI']) throw new Error(`${problem} (CI must start it: see .ci/run)`);
  console.warn(`SKIPPED ${problem}; start redis-server or set LIVEGATE_REDIS_URL to run it.`);
  return false;
}

/** Whether tests can start private servers; like the machine's server, only CI insists on it. */
export function redisServerInstalled(suite: string): boolean {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0) return true;
  const problem = `${suite}: cannot run redis-server (${probe.error?.message ?? probe.stderr})`;
  if (process.env['CI']) throw new Error(`${problem} (CI installs it: see .ci/run)`);
  console.warn(`SKIPPED ${problem}; install redis-server to run it.`);
  return false;
}

/** Removes every key of a namespace (SCAN, not KEYS, so a shared server is not blocked). */
export async function deleteNamespace(url: string, namespace: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 500);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** A port nobody listens on right now (the OS picks it; closed again before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateRedisOptions {
  /** Keep data across stop/start with an fsync-always AOF (default false: like the machine's server). */
  readonly persistent?: boolean;
}

const START_DEADLINE_MS = 10_000;

/** A redis-server process of our own on a free port, in a temp dir, that a test may stop or freeze. */
export class PrivateRedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  private constructor(
    readonly port: number,
    readonly directory: string,
    private readonly options: PrivateRedisOptions,
  ) {}

  static async start(options: PrivateRedisOptions = {}): Promise<PrivateRedisServer> {
    const directory = await mkdtemp(join(tmpdir(), 'livegate-redis-'));
    const server = new PrivateRedisServer(await freePort(), directory, options);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** (Re)starts on the same port and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error(`redis-server on ${this.port} is running`);
    const persistence = this.options.persistent
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no'];
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', ''];
    const child = spawn(
      'redis-server',
      [...args, ...persistence, '--dir', this.directory, '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.output = '';
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (error) => {
        this.output += String(error);
        resolve();
      });
    });
    void this.exited.then(() => {
      if (this.child === child) this.child = undefined;
    });
    const deadline = performance.now() + START_DEADLINE_MS;
    while (!(await redisAnswers(this.url, 500))) {
      if (this.child !== child || performance.now() > deadline) {
        throw new Error(`redis-server did not start on ${this.port}:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** SIGTERM (a clean shutdown) and wait for the process to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill('SIGCONT'); // A frozen server cannot act on SIGTERM.
    child.kill('SIGTERM');
    await this.exited;
  }

  /** SIGSTOP: the TCP connections stay open but nothing answers. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** For afterAll: kill whatever runs and remove the directory. */
  async destroy(): Promise<void> {
    const child = this.child;
    if (child !== undefined) {
      child.kill('SIGKILL');
      await this.exited;
    }
    await rm(this.directory, { recursive: true, force: true });
  }
}

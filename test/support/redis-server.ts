// Real Redis for tests: the machine's server for contracts, and private servers tests may stop or freeze.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, ServerProcess } from './server-process.js';

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
export { freePort };

export interface PrivateRedisOptions {
  /** Keep data across stop/start with an fsync-always AOF (default false: like the machine's server). */
  readonly persistent?: boolean;
}

const START_DEADLINE_MS = 10_000;

/** A redis-server process of our own on a free port, in a temp dir, that a test may stop or freeze. */
export class PrivateRedisServer {
  private readonly process: ServerProcess;

  private constructor(
    readonly port: number,
    readonly directory: string,
    private readonly options: PrivateRedisOptions,
  ) {
    this.process = new ServerProcess({
      command: 'redis-server',
      port,
      directory,
      startDeadlineMs: START_DEADLINE_MS,
      answers: () => redisAnswers(this.url, 500),
    });
  }

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
    return this.process.pid;
  }

  /** (Re)starts on the same port and waits until it answers PING. */
  start(): Promise<void> {
    const persistence = this.options.persistent
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no'];
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', ''];
    return this.process.start([
      ...args,
      ...persistence,
      '--dir',
      this.directory,
      '--daemonize',
      'no',
    ]);
  }

  /** SIGTERM (a clean shutdown) and wait for the process to exit. */
  stop(): Promise<void> {
    return this.process.stop();
  }

  /** SIGKILL: a crash, nothing flushed. */
  kill(): Promise<void> {
    return this.process.kill();
  }

  /** SIGSTOP: the TCP connections stay open but nothing answers. */
  freeze(): void {
    this.process.freeze();
  }

  thaw(): void {
    this.process.thaw();
  }

  /** For afterAll: kill whatever runs and remove the directory. */
  destroy(): Promise<void> {
    return this.process.dispose();
  }
}

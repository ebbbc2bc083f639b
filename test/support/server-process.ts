// A server process of a test's own (nats-server, redis-server) on a free port, in a temp dir, that the
// test may stop, freeze (SIGSTOP: sockets stay open, nothing answers), thaw and restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';

/** A port nothing listens on right now (the OS picks it; we close it again at once). */
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

export interface ServerProcessSpec {
  readonly command: string;
  readonly port: number;
  readonly directory: string;
  readonly startDeadlineMs: number;
  /** True once the server answers (one probe, bounded by its own timeout). */
  readonly answers: () => Promise<boolean>;
}

export class ServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  constructor(private readonly spec: ServerProcessSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** What the server printed since its last start (for a failing test to show). */
  get printed(): string {
    return this.output;
  }

  /** (Re)starts with `args` and waits until the server answers. */
  async start(args: readonly string[]): Promise<void> {
    const { command, port } = this.spec;
    if (this.child !== undefined) throw new Error(`${command} on ${port} is running`);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
    const deadline = performance.now() + this.spec.startDeadlineMs;
    while (!(await this.spec.answers())) {
      if (this.child !== child || performance.now() > deadline) {
        throw new Error(`${command} did not start on ${port}:\n${this.output}`);
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

  /** SIGKILL (a crash: nothing flushed, sockets reset) and wait for the process to exit. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP: the process freezes with its sockets open, so clients see silence, not a disconnect. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** Kills the process (frozen or not) and removes its directory. */
  async dispose(): Promise<void> {
    const child = this.child;
    if (child !== undefined) {
      child.kill('SIGKILL');
      await this.exited;
    }
    await rm(this.spec.directory, { recursive: true, force: true });
  }
}

// Issue 9, scenario 4: a NATS server that answers, but with errors, is not a store the engine can
// trust. Only a read that yields a valid state is contact. Real nats-server processes with accounts
// configured by the test: one whose stream limit is reached, one without JetStream at all.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { NatsKillSwitchStore } from '../../src/adapters/stores/nats-kill-switch-store.js';
import { KillSwitch } from '../../src/killswitch/kill-switch.js';
import { resetDecision } from '../../src/killswitch/transitions.js';
import { freePort, natsServerBinaryAvailable } from '../support/nats-server.js';
import { ServerProcess } from '../support/server-process.js';

const available = await natsServerBinaryAvailable('NATS error-answer tests');
const CONTACT = { failClosedAfterMs: 1_000, leaseMs: 200, pollIntervalMs: 100 };
const MARGIN_MS = 3_000;

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A nats-server run from a config file the test writes; the user a client gets is `noAuthUser`. */
async function configuredServer(accounts: string) {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-nats-accounts-'));
  const port = await freePort();
  const server = new ServerProcess({
    command: 'nats-server',
    port,
    directory,
    startDeadlineMs: 15_000,
    answers: () => listening(port),
  });
  const start = async (noAuthUser: string) => {
    const file = path.join(directory, `${noAuthUser}.conf`);
    await writeFile(
      file,
      `listen: 127.0.0.1:${port}\njetstream { store_dir: "${path.join(directory, 'js')}" }\n${accounts}\nno_auth_user: ${noAuthUser}\n`,
    );
    await server.start(['-c', file]);
  };
  return { url: `nats://127.0.0.1:${port}`, server, start };
}

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - started;
}

describe.skipIf(!available)('a NATS server that answers with errors', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A namespace with state on `url`, and an engine SAFE on it under the one policy. */
  async function engineOn(url: string, namespace: string) {
    const store = new NatsKillSwitchStore({ servers: url, namespace, requestTimeoutMs: 500 });
    cleanups.push(() => store.close());
    await store.update(resetDecision('first', 'ops'));
    const engine = await KillSwitch.open(store, {
      actor: 'engine-1',
      createIfMissing: false,
      contact: CONTACT,
    });
    cleanups.push(() => engine.close());
    engine.watch();
    expect(engine.state).toBe('SAFE');
    return engine;
  }

  it('fails closed when its bucket is deleted and the account cannot create another (stream limit reached)', async () => {
    const { url, server, start } = await configuredServer(
      'accounts { A: { jetstream: { max_streams: 2 }, users: [ { user: a, password: a } ] } }',
    );
    cleanups.push(() => server.dispose());
    await start('a');
    const engine = await engineOn(url, 'desk');
    await engineOn(url, 'other');

    // The bucket goes, and the account's stream limit is reached again by someone else.
    const connection = await natsConnect({ servers: url });
    try {
      const manager = await jetstreamManager(connection);
      await manager.streams.delete('KV_desk_killswitch');
      await manager.streams.add({ name: 'FILLER', subjects: ['filler.>'] });
    } finally {
      await connection.close();
    }
    // The code before this recreated the bucket on every read, got "maximum number of streams
    // reached" (a JetStream API error) and counted that answer as contact: SAFE indefinitely.
    const elapsed = await until(
      'the engine failing closed',
      () => engine.failClosedReason !== null,
      CONTACT.failClosedAfterMs + MARGIN_MS,
    );
    expect(engine.state).toBe('ENGAGED');
    expect(engine.failClosedReason?.code).toBe('ERR_STATE_MISSING');
    console.info(
      `bucket deleted under a full account -> failed closed after ${elapsed.toFixed(0)} ms`,
    );
  });

  it('fails closed within failClosedAfterMs when every read is refused (JetStream off for the account), naming the error', async () => {
    const { url, server, start } = await configuredServer(
      'accounts {\n  JS: { jetstream: enabled, users: [ { user: js, password: js } ] }\n  NOJS: { users: [ { user: nojs, password: nojs } ] }\n}',
    );
    cleanups.push(() => server.dispose());
    await start('js');
    const engine = await engineOn(url, 'desk');

    // Same address, but the client now lands in an account without JetStream: every read is
    // answered at once, with a refusal.
    await server.stop();
    const restartedAt = performance.now();
    await start('nojs');
    await until(
      'the engine failing closed',
      () => engine.failClosedReason !== null,
      CONTACT.failClosedAfterMs + 10_000,
    );
    const elapsed = performance.now() - restartedAt;
    expect(engine.state).toBe('ENGAGED');
    expect(engine.failClosedReason?.code).toBe('ERR_STORE_ERROR');
    expect(engine.failClosedReason?.message).toMatch(/JetStream not enabled/i);
    console.info(`reads refused -> failed closed ${elapsed.toFixed(0)} ms after the restart`);
  });
});

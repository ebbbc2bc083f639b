// `livegate kill` and `reset` against a Redis primary with no replica while replicasToAcknowledge
// is 1: the change is written to the primary, but the command must say it is NOT replica-durable
// and exit 1, at once: no retry loop, and no same-host signal path claiming anything else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisKillSwitchStore } from '../../src/adapters/stores/redis-kill-switch-store.js';
import { runCli, scratchDirectory, writeFleetConfig } from '../support/cli-harness.js';
import {
  PrivateRedisServer,
  redisServerInstalled,
  uniqueNamespace,
} from '../support/redis-server.js';

const installed = redisServerInstalled('CLI replica acknowledgement tests');
const REPLICA_TIMEOUT_MS = 200;

describe.skipIf(!installed)('livegate kill/reset on an unreplicated Redis primary', () => {
  let server: PrivateRedisServer;
  let config: string;
  let namespace: string;

  beforeAll(async () => {
    server = await PrivateRedisServer.start();
    namespace = uniqueNamespace('cli-wait');
    const init = await runCli([
      ...['init', '--store', server.url, '--reason', 'replica drill'],
      ...['--config', await writeFleetConfig(await scratchDirectory(), { namespace }, 1000)],
    ]);
    expect(init.code, init.stderr).toBe(0);
    config = await writeFleetConfig(
      await scratchDirectory(),
      {
        store: 'redis',
        url: server.url,
        namespace,
        redis: { replicasToAcknowledge: 1, replicaTimeoutMs: REPLICA_TIMEOUT_MS },
      },
      1000,
    );
  });

  afterAll(async () => {
    await server?.destroy();
  });

  async function stateOnPrimary() {
    const store = new RedisKillSwitchStore({ url: server.url, namespace });
    try {
      return await store.read();
    } finally {
      await store.close();
    }
  }

  it('kill exits 1 at once saying the kill is on the primary but not replica-durable', async () => {
    const started = performance.now();
    const kill = await runCli([
      'kill',
      '--config',
      config,
      '--reason',
      'no replica',
      '--timeout',
      '20000',
    ]);
    const elapsedMs = performance.now() - started;
    expect(kill.code, kill.stdout + kill.stderr).toBe(1);
    expect(kill.stderr).toMatch(
      /ERR_STATE_WRITE_FAILED: Kill-switch revision 2 \(ENGAGED\) is on the Redis primary but NOT durable: 0 of 1 replicas/,
    );
    expect(kill.stderr).toMatch(
      /the kill is on the primary of redis:127\.0\.0\.1:\d+\/global .* NOT replica-durable/,
    );
    // Neither the retry loop (it prints "waiting for") nor the signal path ("store unwritable").
    expect(kill.stderr).not.toMatch(/waiting for/);
    expect(kill.stdout + kill.stderr).not.toMatch(/signalled|store unwritable/);
    // Well inside --timeout: the command did not retry until its deadline.
    expect(elapsedMs).toBeLessThan(10_000);
    expect(await stateOnPrimary()).toMatchObject({ revision: 2, state: 'ENGAGED' });
  });

  it('reset --json reports durable false, on the primary, with the replica counts, and exits 1', async () => {
    const reset = await runCli([
      ...['reset', '--config', config, '--reason', 'no replica', '--by', 'ops', '--json'],
    ]);
    expect(reset.code, reset.stderr).toBe(1);
    expect(JSON.parse(reset.stdout)).toMatchObject({
      ok: false,
      durable: false,
      onPrimary: true,
      revision: 3,
      replicasAcknowledged: 0,
      replicasRequired: 1,
    });
    expect(await stateOnPrimary()).toMatchObject({ revision: 3, state: 'SAFE' });
  });
});

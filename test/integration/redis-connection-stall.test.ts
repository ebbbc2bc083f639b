// A process stall (a long GC, a strategy hogging the event loop) that outlasts a Redis call's
// deadline while the reply is already in the socket: Node runs timers before I/O, so the deadline
// used to win, failing a call the server had answered and dropping a healthy connection (ioredis's
// own command and socket timers fired first). The verdict now waits one I/O round past a deadline.
import { describe, expect, it } from 'vitest';
import { RedisCommandConnection } from '../../src/adapters/stores/redis-kill-switch-connection.js';
import { parseRedisServerAddress } from '../../src/core/redis-server-address.js';
import { machineRedisAvailable, MACHINE_REDIS_URL } from '../support/redis-server.js';

const available = await machineRedisAvailable('redis connection stall');

/** Blocks the event loop like a stuck strategy: nothing else runs meanwhile. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe.skipIf(!available)('a Redis call whose reply arrived during a process stall', () => {
  it('succeeds, on the same connection', async () => {
    const connection = new RedisCommandConnection({
      address: parseRedisServerAddress(MACHINE_REDIS_URL),
      storeName: 'stall test',
      displayUrl: MACHINE_REDIS_URL,
      connectionName: 'livegate-stall-test',
      requestTimeoutMs: 200,
    });
    try {
      const idBefore = await connection.request('client id', (client) => client.client('ID'));
      for (let round = 0; round < 2; round += 1) {
        const pending = connection.request('ping', (client) => client.ping());
        blockEventLoop(1_200); // the reply arrives while we spin, 6x the deadline
        await expect(pending).resolves.toBe('PONG');
      }
      const idAfter = await connection.request('client id', (client) => client.client('ID'));
      expect(idAfter).toBe(idBefore); // never dropped and reconnected
    } finally {
      await connection.close();
    }
  });

  it('still fails at the deadline when the server does not answer', async () => {
    const connection = new RedisCommandConnection({
      address: parseRedisServerAddress(MACHINE_REDIS_URL),
      storeName: 'stall test',
      displayUrl: MACHINE_REDIS_URL,
      connectionName: 'livegate-stall-test',
      requestTimeoutMs: 200,
    });
    try {
      const started = performance.now();
      // The server holds BLPOP on an empty key for 2 s: no reply within the deadline.
      const call = connection.request('blpop', (client) =>
        client.blpop(`livegate-stall-test:${process.pid}:empty`, 2),
      );
      await expect(call).rejects.toThrow(/no reply within 200 ms/);
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      await connection.close();
    }
  });
});

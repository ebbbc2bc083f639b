// POST /api/limits during another engine's start: the HTTP path waits for the engines registered
// on this host as `limits set` does, so a 200 (every engine confirmed) never leaves a starting
// engine trading on the revision it read before the write.
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal, type JournalEntry } from '../../src/adapters/sinks/journal-reader.js';
import {
  assertBuilt,
  scratchDirectory,
  startCli,
  waitFor,
  type RunningCli,
} from '../support/cli-harness.js';

const OPERATOR = 'operator-token-http-race';
const ADMIN = 'admin-token-http-race';
const running: RunningCli[] = [];
afterEach(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
});

async function post(base: string, token: string, maxQuantity: number) {
  const response = await fetch(new URL('api/limits', base), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      reason: 'race',
      by: 'olga',
      set: { 'preTrade.defaults.maxQuantity': maxQuantity },
      timeoutMs: 5000,
    }),
  });
  const body = (await response.json()) as { record: { revision: number } };
  return { status: response.status, revision: body.record.revision };
}

describe('POST /api/limits during an engine start', () => {
  it('never answers 200 while a starting engine will trade above it', async () => {
    assertBuilt();
    const directory = await scratchDirectory('livegate-limits-http-race-');
    const stateDir = path.join(directory, 'state');
    const configOf = async (name: string, quantity: number) => {
      const file = path.join(directory, `${name}.yaml`);
      await writeFile(
        file,
        [
          `stateDir: ${stateDir}`,
          'killSwitch: { store: file, pollIntervalMs: 1000 }',
          'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 100 } }',
          `strategy: { module: periodic, options: { quantity: ${quantity}, every: 1 } }`,
          'engine: { heartbeatIntervalMs: 1000 }',
          '',
        ].join('\n'),
      );
      return file;
    };
    // A registry of this test's own: the server's route and the starting engine share it.
    const registry = path.join(directory, 'registry');
    const server = startCli(
      ['run', '--config', await configOf('a', 1), '--engine-id', 'a', '--http', '127.0.0.1:0'],
      {
        LIVEGATE_OPERATOR_TOKEN: OPERATOR,
        LIVEGATE_ADMIN_TOKEN: ADMIN,
        LIVEGATE_LOCAL_REGISTRY: registry,
      },
    );
    running.push(server);
    const base = await waitFor(
      'the control API address',
      () => /control API on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(server.stderr())?.[1],
      20_000,
    );
    const starting = await configOf('b', 5);
    const outcomes = [];
    // Counted from the engine's registration, which comes before it reads its limits.
    for (const afterMs of [0, 25, 50, 75, 100, 150, 200, 300, 400]) {
      // Back to a limit the starting engine's orders pass (admin), then its start, then a tightening.
      expect((await post(base, ADMIN, 10)).status).toBe(200);
      const engineId = `b${afterMs}`;
      const engine = startCli(['run', '--config', starting, '--engine-id', engineId, '--no-http'], {
        LIVEGATE_LOCAL_REGISTRY: registry,
      });
      running.push(engine);
      await waitFor(
        `${engineId} registered`,
        async () =>
          (await readdir(registry).catch((): string[] => [])).some((name) =>
            name.endsWith(`-${engine.child.pid}.json`),
          ) || undefined,
        20_000,
      );
      await delay(afterMs);
      const tighten = await post(base, OPERATOR, 4);
      const answeredAt = Date.now();
      const journal = async (): Promise<JournalEntry[]> =>
        (await readJournal(path.join(stateDir, 'journal', engineId))).events.filter(() => true);
      const seen = await waitFor(
        `${engineId} to apply revision ${tighten.revision}`,
        async () => {
          const events = await journal().catch((): JournalEntry[] => []);
          const index = events.findIndex(
            (e) => e.type === 'LimitsApplied' && e.revision === tighten.revision,
          );
          return index < 0 ? undefined : { events, index };
        },
        20_000,
      );
      const above = seen.events
        .slice(0, seen.index)
        .filter((e) => e.type === 'OrderSubmitted' && e.time > answeredAt).length;
      outcomes.push({ afterMs, status: tighten.status, above });
      engine.child.kill('SIGKILL');
      await engine.exited;
    }
    const broken = outcomes.filter((o) => o.status === 200 && o.above > 0);
    expect(broken, JSON.stringify(outcomes)).toEqual([]);
  }, 240_000);
});

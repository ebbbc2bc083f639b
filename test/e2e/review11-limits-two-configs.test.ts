// Review 11: two engines on one store with different risk.preTrade. With no revision stored, an
// operator's tightening through engine A's POST /api/limits takes A's config as its base; engine B
// then enforces revision 1, which drops B's own maxPosition: the operator token loosened B
// (recorded as loosens: false) and B buys past the position its config held it to.
import { writeFile } from 'node:fs/promises';
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

const OPERATOR = 'operator-token-review11-two';
const running: RunningCli[] = [];
afterEach(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
});

describe('review 11: an operator tightening from one engine', () => {
  it('does not loosen another engine whose config is tighter', async () => {
    assertBuilt();
    const directory = await scratchDirectory('livegate-review11-two-');
    const stateDir = path.join(directory, 'state');
    const configOf = async (name: string, preTrade: string, strategy: string) => {
      const file = path.join(directory, `${name}.yaml`);
      await writeFile(
        file,
        [
          `stateDir: ${stateDir}`,
          'killSwitch: { store: file }',
          'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 40 } }',
          `strategy: ${strategy}`,
          'engine: { heartbeatIntervalMs: 200 }',
          `risk: { preTrade: ${preTrade} }`,
          '',
        ].join('\n'),
      );
      return file;
    };
    const a = await configOf('a', '{}', '{ module: periodic, options: { quantity: 5, every: 1 } }');
    const b = await configOf(
      'b',
      '{ defaults: { maxPosition: 10 } }',
      '{ module: one-order-per-tick, options: { quantity: 5, side: buy } }',
    );
    const engineA = startCli(
      ['run', '--config', a, '--engine-id', 'two-a', '--http', '127.0.0.1:0'],
      {
        LIVEGATE_OPERATOR_TOKEN: OPERATOR,
      },
    );
    running.push(engineA);
    const engineB = startCli(['run', '--config', b, '--engine-id', 'two-b', '--no-http']);
    running.push(engineB);
    const journalB = async (): Promise<JournalEntry[]> =>
      (await readJournal(path.join(stateDir, 'journal', 'two-b'))).events.filter(() => true);
    await waitFor(
      'B held at its maxPosition',
      async () =>
        (await journalB().catch((): JournalEntry[] => [])).some(
          (e) => e.type === 'OrderDenied' && e.code === 'MAX_POSITION_EXCEEDED',
        ) || undefined,
      20_000,
    );
    const base = await waitFor(
      'the console address',
      () => /control API on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(engineA.stderr())?.[1],
      20_000,
    );
    const response = await fetch(new URL('api/limits', base), {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        reason: 'smaller orders',
        by: 'olga',
        set: { 'preTrade.defaults.maxQuantity': 100 },
      }),
    });
    const body = await response.text();
    await delay(2_000);
    const submitted = (await journalB()).filter((e) => e.type === 'OrderSubmitted').length;
    expect(submitted, `POST answered ${response.status}: ${body}`).toBeLessThanOrEqual(2);
  }, 60_000);
});

// Review 11: an operator's POST /api/limits with a key through `__proto__` writes onto the engine
// process's Object.prototype. The request is answered 400, but from then on every limits revision
// fails the config schema in that engine ("maxQuantity: unknown key"): a later tightening, by HTTP
// or by `livegate limits set`, is never enforced, and the engine keeps trading at the old size.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal, type JournalEntry } from '../../src/adapters/sinks/journal-reader.js';
import {
  assertBuilt,
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
  type RunningCli,
} from '../support/cli-harness.js';

const OPERATOR = 'operator-token-review11';

const running: RunningCli[] = [];
afterEach(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
});

const journal = async (stateDir: string): Promise<JournalEntry[]> =>
  (await readJournal(path.join(stateDir, 'journal', 'proto'))).events.filter(() => true);

describe('review 11: POST /api/limits through __proto__', () => {
  it('is refused without touching the engine: a later tightening is still enforced', async () => {
    assertBuilt();
    const directory = await scratchDirectory('livegate-review11-proto-');
    const stateDir = path.join(directory, 'state');
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(
      config,
      [
        `stateDir: ${stateDir}`,
        'killSwitch: { store: file }',
        'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 40 } }',
        'strategy: { module: periodic, options: { quantity: 5, every: 1 } }',
        'engine: { heartbeatIntervalMs: 200 }',
        'risk: { preTrade: { defaults: { maxQuantity: 10 } } }',
        '',
      ].join('\n'),
    );
    const engine = startCli(
      ['run', '--config', config, '--engine-id', 'proto', '--http', '127.0.0.1:0'],
      { LIVEGATE_OPERATOR_TOKEN: OPERATOR },
    );
    running.push(engine);
    const base = await waitFor(
      'the console address',
      () => {
        const match = /control API on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(engine.stderr());
        return match?.[1];
      },
      20_000,
    );
    const post = (set: Record<string, unknown>) =>
      fetch(new URL('api/limits', base), {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'review', by: 'mallory', set }),
      });

    const sneaky = await post({ 'preTrade.defaults.__proto__.maxQuantity': 1_000_000 });
    const sneakyBody = await sneaky.text();
    expect(sneaky.status).toBe(400);

    // An honest tightening through the CLI, from another process: the engine must enforce it.
    const tighten = await runCli([
      'limits',
      'set',
      'preTrade.defaults.maxQuantity=3',
      '--config',
      config,
      '--reason',
      'halve size',
      '--by',
      'alice',
      '--timeout',
      '5000',
    ]);
    const events = await journal(stateDir);
    const failed = events.filter((event) => event.type === 'LimitsApplyFailed');
    expect(
      { code: tighten.code, stderr: tighten.stderr, failed: failed.map((e) => e.message) },
      `proto POST answered ${sneaky.status}: ${sneakyBody}`,
    ).toMatchObject({ code: 0, failed: [] });
  }, 60_000);
});

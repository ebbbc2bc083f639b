// Review 11c: review 11 closed POST /api/limits keys through `__proto__` under preTrade, but not under
// monitor: an operator's `{"monitor.rules.__proto__.limit": 5}` writes Object.prototype.limit in the
// engine serving the API. The POST is answered 400, yet from then on that engine's strict schemas
// see a `limit` key on every object: no limits record is readable there any more, a later honest
// tightening by `limits set` from another process is never applied, and (the read failing) the
// limits lease is never renewed, so an operator token has halted the engine until it is restarted.
// Seen: the set exits 1 naming the engine; LimitsApplyFailed "live limits cannot be read, keeping
// revision 0: ... (root): Unrecognized key: "limit"".
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

const OPERATOR = 'operator-token-review11c';

const running: RunningCli[] = [];
afterEach(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
});

const journal = async (stateDir: string): Promise<JournalEntry[]> =>
  (await readJournal(path.join(stateDir, 'journal', 'mproto'))).events.filter(() => true);

describe('review 11c: POST /api/limits through monitor.rules.__proto__', () => {
  it('is refused without touching the engine: a later tightening is still enforced', async () => {
    assertBuilt();
    const directory = await scratchDirectory('livegate-review11c-mproto-');
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
      ['run', '--config', config, '--engine-id', 'mproto', '--http', '127.0.0.1:0'],
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

    const sneaky = await post({ 'monitor.rules.__proto__.limit': 5 });
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

// Review 11: the operator token may only tighten, yet POST /api/limits raising the engine-wide
// burst (unset: the chain enforces max(1, rate) = 2) to a million is accepted as a tightening.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  scratchDirectory,
  startCli,
  waitFor,
  type RunningCli,
} from '../support/cli-harness.js';

const OPERATOR = 'operator-token-review11-burst';
const running: RunningCli[] = [];
afterEach(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
});

describe('review 11: an operator raising the burst over HTTP', () => {
  it('is refused with 403', async () => {
    assertBuilt();
    const directory = await scratchDirectory('livegate-review11-burst-');
    const config = path.join(directory, 'livegate.yaml');
    await writeFile(
      config,
      [
        `stateDir: ${path.join(directory, 'state')}`,
        'killSwitch: { store: file }',
        'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 40 } }',
        'strategy: { module: periodic, options: { quantity: 5, every: 1 } }',
        'risk: { preTrade: { maxOrdersPerSecond: 2 } }',
        '',
      ].join('\n'),
    );
    const engine = startCli(
      ['run', '--config', config, '--engine-id', 'burst', '--http', '127.0.0.1:0'],
      { LIVEGATE_OPERATOR_TOKEN: OPERATOR },
    );
    running.push(engine);
    const base = await waitFor(
      'the console address',
      () => /control API on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(engine.stderr())?.[1],
      20_000,
    );
    const response = await fetch(new URL('api/limits', base), {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'review', by: 'mallory', set: { 'preTrade.burst': 1000000 } }),
    });
    const body = await response.text();
    expect(response.status, body).toBe(403);
  }, 60_000);
});

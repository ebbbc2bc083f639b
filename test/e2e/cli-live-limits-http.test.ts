// Live limits over the control API of a real `livegate run`: the operator token may tighten (200,
// confirmed by the engine) but not loosen (403, nothing written); the admin token may loosen.
import { describe, expect, it } from 'vitest';
import {
  assertBuilt,
  runCli,
  scratchDirectory,
  startCli,
  stoppedAfterEach,
  waitFor,
} from '../support/cli-harness.js';

const OPERATOR = 'operator-token-for-limits';
const ADMIN = 'admin-token-for-limits';

const running = stoppedAfterEach();

function post(base: string, token: string, body: unknown): Promise<Response> {
  return fetch(new URL('api/limits', base), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('POST /api/limits', () => {
  it('lets an operator tighten, refuses an operator loosening with 403, lets the admin loosen', async () => {
    assertBuilt();
    const stateDir = await scratchDirectory('livegate-limits-http-');
    const cli = startCli(
      [
        'run',
        '--state-dir',
        stateDir,
        '--engine-id',
        'http-limits',
        '--strategy',
        'one-order-per-tick',
        '--rate',
        '200',
        '--ticks',
        '0',
        '--http',
        '127.0.0.1:0',
      ],
      { LIVEGATE_OPERATOR_TOKEN: OPERATOR, LIVEGATE_ADMIN_TOKEN: ADMIN },
    );
    running.push(cli);
    const base = await waitFor('the console address on stderr', () => {
      const match = /console and control API on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(cli.stderr());
      return match?.[1];
    });

    const tighten = await post(base, OPERATOR, {
      reason: 'smaller orders',
      by: 'olga',
      set: { 'preTrade.defaults.maxQuantity': 100 },
    });
    const tightened = (await tighten.json()) as {
      record: { revision: number; origin: unknown };
      confirmations: { confirmed: { engineId: string }[]; missing: unknown[] };
    };
    expect(tighten.status).toBe(200);
    expect(tightened.record).toMatchObject({
      revision: 1,
      origin: { channel: 'http', role: 'operator' },
    });
    expect(tightened.confirmations.confirmed.map((c) => c.engineId)).toEqual(['http-limits']);

    const loosen = await post(base, OPERATOR, {
      reason: 'bigger again',
      by: 'olga',
      set: { 'preTrade.defaults.maxQuantity': 1000 },
    });
    expect(loosen.status).toBe(403);
    const refused = (await loosen.json()) as { error: { code: string; message: string } };
    expect(refused.error.code).toBe('FORBIDDEN');
    expect(refused.error.message).toMatch(
      /operator role may only tighten limits.*preTrade\.defaults\.maxQuantity 100 -> 1000/,
    );

    const bad = await post(base, ADMIN, { reason: 'typo', by: 'ada', set: { 'preTrade.nope': 1 } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /preTrade\.nope: unknown key/,
    );

    const admin = await post(base, ADMIN, {
      reason: 'bigger again',
      by: 'ada',
      set: { 'preTrade.defaults.maxQuantity': 'Infinity' },
    });
    expect(admin.status).toBe(200);
    expect(await admin.json()).toMatchObject({
      record: { revision: 2, loosens: true, origin: { role: 'admin' } },
    });

    const current = (await (await fetch(new URL('api/limits', base))).json()) as {
      revision: number;
      history: { revision: number; by: string }[];
    };
    expect(current.revision).toBe(2);
    expect(current.history.map((r) => r.by)).toEqual(['olga', 'ada']);
    // The CLI reads the same records.
    const history = await runCli(['limits', 'history', '--state-dir', stateDir]);
    expect(history.stdout).toMatch(/revision 1 .* olga via http \(operator\): smaller orders/);
    expect(history.stdout).toMatch(
      /revision 2 .* ada via http \(admin\) \[LOOSENS\]: bigger again/,
    );
  }, 60_000);
});

// Review 11d: a live desk key whose desk differs only by case from a desk in use (the writer's
// config, the latest revision's overrides, an engine report on the store) is refused ERR_USAGE,
// by `limits set` and by POST /api/limits alike: it would limit a desk no engine runs.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import { buildControlServer } from '../../../src/http/control-server.js';
import { desksOfConfig, desksOfReports } from '../../../src/risk/limits/desk-names.js';
import { changeLimits } from '../../../src/risk/limits/limits-writer.js';
import { limitsOfConfig, parseAssignment } from '../../../src/risk/limits/live-limits.js';
import type { NamedDesk } from '../../../src/risk/limits/desk-names.js';
import {
  bearer,
  engineUnderTest,
  foreignReport,
  TOKENS,
} from '../../http/support/control-fixture.js';

const config = limitsOfConfig({}, undefined, { desks: { fx: { maxPosition: 100 } }, firm: null });

function set(namedDesks: readonly NamedDesk[], ...texts: string[]) {
  return {
    assignments: texts.map(parseAssignment),
    reason: 'test',
    by: 'olga',
    mayLoosen: true,
    configLimits: config,
    namedDesks,
    host: 'h',
    pid: 1,
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('desk keys that differ only by case', () => {
  it('refuses a desk named only with other case in the config, the reports or the overrides', async () => {
    const limits = new MemoryKillSwitchStore().limits;
    const fromConfig = desksOfConfig({
      desks: { fx: {} },
      tradingWindows: { desks: { Rates: {} } },
    });
    const fromReports = desksOfReports([
      foreignReport('e1', { scopes: { global: 0, 'desk:eq': 0, 'engine:e1': 0 } }),
    ]);
    for (const [text, where] of [
      ['desks.FX.maxPosition=5', 'risk.desks in this config'],
      ['desks.rates.dailyLoss=5', 'risk.tradingWindows.desks'],
      ['desks.EQ.dailyLoss=5', 'engine e1'],
    ] as const) {
      await expect(
        changeLimits(limits, set([...fromConfig, ...fromReports], text)),
      ).rejects.toMatchObject({
        code: 'ERR_USAGE',
        message: expect.stringContaining(where) as unknown,
      });
    }
    expect(await limits.latest()).toBeNull();
    await changeLimits(limits, set([], 'desks.Credit.dailyLoss=5'));
    await expect(changeLimits(limits, set([], 'desks.credit.dailyLoss=4'))).rejects.toMatchObject({
      code: 'ERR_USAGE',
      message: expect.stringContaining('limits revision 1') as unknown,
    });
    // Spelt as in use: taken (a desk named both ways is in use both ways).
    await changeLimits(
      limits,
      set(fromConfig, 'desks.fx.maxPosition=5', 'desks.Credit.dailyLoss='),
    );
    await changeLimits(
      limits,
      set([...fromConfig, { desk: 'FX', where: 'engine x' }], 'desks.FX.maxPosition=5'),
    );
    expect((await limits.latest())?.revision).toBe(3);
  });

  it('is refused over POST /api/limits too (400, nothing written)', async () => {
    const fixture = await engineUnderTest({ store: new MemoryKillSwitchStore() });
    await fixture.store.publishEngineReport(
      foreignReport('e-fx', { scopes: { global: 0, 'desk:fx': 0, 'engine:e-fx': 0 } }),
    );
    const app = buildControlServer({
      view: fixture.view,
      tokens: TOKENS,
      maxAuthFailures: 5,
      authFailureWindowMs: 60_000,
      limits: { configLimits: config, confirmTimeoutMs: 100, storeIdentity: 'test' },
    });
    cleanups.push(() => app.close());
    await app.ready();
    const response = await app.inject({
      method: 'POST',
      url: '/api/limits',
      headers: { ...bearer(TOKENS.admin), 'content-type': 'application/json' },
      payload: JSON.stringify({ reason: 'r', by: 'b', set: { 'desks.FX.maxPosition': 5 } }),
    });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.body).toContain('engine e-fx');
    expect(await fixture.store.limits?.latest()).toBeNull();
  });
});

describe('POST /api/limits, the same desk rules as limits set', () => {
  it('refuses an operator a first desk override its config lacks, and a window with no limit', async () => {
    const fixture = await engineUnderTest({ store: new MemoryKillSwitchStore() });
    const app = buildControlServer({
      view: fixture.view,
      tokens: TOKENS,
      maxAuthFailures: 5,
      authFailureWindowMs: 60_000,
      limits: { configLimits: config, confirmTimeoutMs: 100, storeIdentity: 'test' },
    });
    cleanups.push(() => app.close());
    await app.ready();
    const post = (token: string | null, set: Record<string, unknown>) =>
      app.inject({
        method: 'POST',
        url: '/api/limits',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        payload: JSON.stringify({ reason: 'r', by: 'b', set }),
      });
    const added = await post(TOKENS.operator, { 'desks.eq.dailyLoss': 700 });
    expect(added.statusCode, added.body).toBe(403);
    expect(added.body).toContain("the writer's config has no desks.eq.dailyLoss");
    const window = await post(TOKENS.admin, { 'desks.fx.orderRate.windowMs': 2000 });
    expect(window.statusCode, window.body).toBe(400);
    expect(window.body).toContain('set desks.fx.orderRate as a whole');
    expect(await fixture.store.limits?.latest()).toBeNull();
  });
});

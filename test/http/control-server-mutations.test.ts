import os from 'node:os';
import { Writable } from 'node:stream';
import { ownProcessIdentity } from '../../src/core/process-identity.js';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import type { Tokens } from '../../src/http/auth.js';
import type { MutationResponse } from '../../src/http/control-messages.js';
import { buildControlServer, type ControlServerOptions } from '../../src/http/control-server.js';
import {
  bearer,
  CountingControlCounters,
  engineUnderTest,
  eventually,
  foreignReport,
  TOKENS,
  type EngineUnderTest,
} from './support/control-fixture.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  readonly app: FastifyInstance;
  readonly counters: CountingControlCounters;
  readonly post: (
    action: string,
    token: string | null,
    body?: unknown,
    extra?: { remoteAddress?: string; payload?: string; contentType?: string },
  ) => Promise<LightMyRequestResponse>;
}

async function harness(
  fixture: EngineUnderTest,
  options: Partial<ControlServerOptions> = {},
): Promise<Harness> {
  const counters = new CountingControlCounters();
  const app = buildControlServer({
    view: fixture.view,
    tokens: TOKENS,
    maxAuthFailures: 5,
    authFailureWindowMs: 60_000,
    counters,
    ...options,
  });
  cleanups.push(() => app.close());
  await app.ready();
  return {
    app,
    counters,
    post: (action, token, body, extra = {}) =>
      app.inject({
        method: 'POST',
        url: `/api/killswitch/${action}`,
        headers: {
          ...bearer(token),
          'content-type': extra.contentType ?? 'application/json',
        },
        payload: extra.payload ?? JSON.stringify(body),
        ...(extra.remoteAddress === undefined ? {} : { remoteAddress: extra.remoteAddress }),
      }),
  };
}

const GOOD_BODY = { reason: 'venue misbehaving', by: 'alice' };

async function storedRevision(fixture: EngineUnderTest): Promise<number | undefined> {
  return (await fixture.store.read())?.revision;
}

describe('kill-switch mutations over HTTP', () => {
  it('lets the operator engage: durable, audited with its origin, gates closed before the reply', async () => {
    const fixture = await engineUnderTest();
    const { post, counters } = await harness(fixture);
    // The memory store tells watchers inside the write, before the switch hears back from it.
    let stateDuringWrite: string | undefined;
    const stopWatching = fixture.store.watch({
      onRecord: (record) => {
        if (record.revision === 2) stateDuringWrite ??= fixture.killSwitch.state;
      },
      onError: () => undefined,
    });
    cleanups.push(() => Promise.resolve(stopWatching()));
    const response = await post('engage', TOKENS.operator, GOOD_BODY);
    expect(response.statusCode).toBe(200);
    const body = response.json<MutationResponse>();
    expect(body).toMatchObject({
      ok: true,
      changed: true,
      record: {
        revision: 2,
        state: 'ENGAGED',
        reason: 'venue misbehaving',
        by: 'alice',
        trigger: 'manual',
        origin: { channel: 'http', role: 'operator', address: '127.0.0.1' },
      },
      confirmations: { revision: 2, confirmed: [], missing: [] },
    });
    expect(body.durableAfterMs).toBeGreaterThanOrEqual(0);
    expect(stateDuringWrite).toBe('ENGAGED');
    expect(fixture.killSwitch.state).toBe('ENGAGED');
    const history = await fixture.store.history();
    expect(history.at(-1)).toEqual(body.record);
    expect(counters.mutations).toEqual([{ action: 'engage', role: 'operator' }]);
  });

  it('lets the operator reduce, and reports an engage that changes nothing as unchanged', async () => {
    const fixture = await engineUnderTest();
    const { post } = await harness(fixture);
    const reduced = await post('reduce', TOKENS.operator, GOOD_BODY);
    expect(reduced.statusCode).toBe(200);
    expect(reduced.json<MutationResponse>()).toMatchObject({
      changed: true,
      record: { revision: 2, state: 'REDUCING', origin: { role: 'operator' } },
    });
    expect(fixture.killSwitch.state).toBe('REDUCING');
    await post('engage', TOKENS.operator, GOOD_BODY);
    const again = await post('engage', TOKENS.operator, { reason: 'twice', by: 'bob' });
    expect(again.statusCode).toBe(200);
    expect(again.json<MutationResponse>()).toMatchObject({
      changed: false,
      record: { revision: 3, reason: 'venue misbehaving' },
    });
    expect(await storedRevision(fixture)).toBe(3);
  });

  it('refuses reset to the operator (403) and lets the admin reset', async () => {
    const fixture = await engineUnderTest();
    const { post, counters } = await harness(fixture);
    await post('engage', TOKENS.admin, GOOD_BODY);
    const refused = await post('reset', TOKENS.operator, { reason: 'all clear', by: 'alice' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe('FORBIDDEN');
    expect(fixture.killSwitch.state).toBe('ENGAGED');
    expect(await storedRevision(fixture)).toBe(2);
    expect(counters.authFailures.forbidden).toBe(1);

    const reset = await post('reset', TOKENS.admin, { reason: 'all clear', by: 'carol' });
    expect(reset.statusCode).toBe(200);
    expect(reset.json<MutationResponse>()).toMatchObject({
      ok: true,
      changed: true,
      record: { revision: 3, state: 'SAFE', origin: { channel: 'http', role: 'admin' } },
    });
    expect(fixture.killSwitch.state).toBe('SAFE');
    expect(counters.mutations).toEqual([
      { action: 'engage', role: 'admin' },
      { action: 'reset', role: 'admin' },
    ]);
  });

  it('refuses every change with a how-to 403 when no token is configured', async () => {
    const fixture = await engineUnderTest();
    const noTokens: Tokens = { operator: null, admin: null };
    const { post, counters } = await harness(fixture, { tokens: noTokens });
    for (const action of ['engage', 'reduce', 'reset']) {
      const response = await post(action, 'anything', GOOD_BODY);
      expect(response.statusCode).toBe(403);
      const { error } = response.json<{ error: { code: string; message: string } }>();
      expect(error.code).toBe('NO_TOKEN_CONFIGURED');
      for (const hint of [
        'LIVEGATE_OPERATOR_TOKEN',
        'LIVEGATE_ADMIN_TOKEN',
        'http.operatorTokenFile',
        'http.adminTokenFile',
      ]) {
        expect(error.message).toContain(hint);
      }
    }
    expect(await storedRevision(fixture)).toBe(1);
    expect(fixture.killSwitch.state).toBe('SAFE');
    expect(counters.authFailures.forbidden).toBe(3);
  });

  it('answers 401 to a missing or wrong token, before looking at the body, changing nothing', async () => {
    const fixture = await engineUnderTest();
    const { post, counters } = await harness(fixture);
    const missing = await post('engage', null, GOOD_BODY);
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    const wrong = await post('engage', 'not-the-token', GOOD_BODY);
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).not.toContain('not-the-token');
    const wrongWithBadBody = await post('engage', 'not-the-token', undefined, {
      payload: '{ broken',
    });
    expect(wrongWithBadBody.statusCode).toBe(401);
    expect(await storedRevision(fixture)).toBe(1);
    expect(fixture.killSwitch.state).toBe('SAFE');
    expect(counters.authFailures).toMatchObject({ 'missing-token': 1, 'invalid-token': 2 });
    expect(counters.mutations).toEqual([]);
  });

  it.each([
    ['a missing reason', { by: 'alice' }, 'reason'],
    ['an empty by', { reason: 'why', by: '   ' }, 'by'],
    ['an extra key', { ...GOOD_BODY, force: true }, 'force'],
    ['a reason of the wrong type', { reason: 42, by: 'alice' }, 'reason'],
    ['a by of the wrong type', { reason: 'why', by: ['alice'] }, 'by'],
    ['a reason over 500 characters', { reason: 'x'.repeat(501), by: 'alice' }, 'reason'],
    ['a by over 100 characters', { reason: 'why', by: 'b'.repeat(101) }, 'by'],
    ['a NUL in the reason', { reason: 'fat\u0000finger', by: 'alice' }, 'reason'],
    ['an ESC sequence in by', { reason: 'why', by: 'alice\u001b[2J' }, 'by'],
    ['a newline inside the reason', { reason: 'line one\nline two', by: 'alice' }, 'reason'],
    ['a DEL in by', { reason: 'why', by: 'ali\u007fce' }, 'by'],
    ['a C1 control in the reason', { reason: 'why\u009b', by: 'alice' }, 'reason'],
    ['a right-to-left override in by', { reason: 'why', by: 'alice\u202egnp.exe' }, 'by'],
    ['a bidi isolate in the reason', { reason: 'why \u2066x\u2069', by: 'alice' }, 'reason'],
    ['an array instead of an object', [GOOD_BODY], 'body'],
    ['null', null, 'body'],
  ])('answers 400 naming the field for %s, changing nothing', async (_name, body, field) => {
    const fixture = await engineUnderTest();
    const { post, counters } = await harness(fixture);
    const response = await post('engage', TOKENS.admin, body);
    expect(response.statusCode).toBe(400);
    const { error } = response.json<{ error: { code: string; field: string; message: string } }>();
    expect(error.code).toBe('INVALID_BODY');
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(await storedRevision(fixture)).toBe(1);
    expect(fixture.killSwitch.state).toBe('SAFE');
    expect(counters.mutations).toEqual([]);
  });

  it.each([
    ['a body that is not JSON', '{ "reason": ', 'application/json'],
    ['an empty JSON body', '', 'application/json'],
    ['a text body', 'reason=why&by=alice', 'text/plain'],
  ])('answers 400 INVALID_BODY for %s', async (_name, payload, contentType) => {
    const fixture = await engineUnderTest();
    const { post } = await harness(fixture);
    const response = await post('engage', TOKENS.admin, undefined, { payload, contentType });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'INVALID_BODY', field: 'body' } });
    expect(fixture.killSwitch.state).toBe('SAFE');
  });

  it('answers 413 INVALID_BODY to an oversized body, changing nothing', async () => {
    const fixture = await engineUnderTest();
    const { post } = await harness(fixture);
    const payload = JSON.stringify({ reason: 'x'.repeat(100_000), by: 'alice' });
    const response = await post('engage', TOKENS.admin, undefined, { payload });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: { code: 'INVALID_BODY', field: 'body' } });
    expect(fixture.killSwitch.state).toBe('SAFE');
  });

  it('names the field, the character and the problem when text is not printable', async () => {
    const fixture = await engineUnderTest();
    const { post } = await harness(fixture);
    const response = await post('engage', TOKENS.operator, {
      reason: 'halt\u001b[31m now',
      by: '\u202ealice',
    });
    expect(response.statusCode).toBe(400);
    const { error } = response.json<{
      error: { code: string; message: string; problems: { field: string; message: string }[] };
    }>();
    expect(error.problems).toEqual([
      { field: 'reason', message: expect.stringContaining('control character U+001B') as string },
      {
        field: 'by',
        message: expect.stringContaining('bidirectional control character U+202E') as string,
      },
    ]);
    expect(error.message).toMatch(/^reason: .*; by: /);
    expect(fixture.killSwitch.state).toBe('SAFE');
    expect((await fixture.store.history()).map((record) => record.revision)).toEqual([1]);
  });

  it('trims reason and by before recording them', async () => {
    const fixture = await engineUnderTest();
    const { post } = await harness(fixture);
    const response = await post('engage', TOKENS.admin, { reason: '  spaced  ', by: ' bob ' });
    expect(response.json<MutationResponse>().record).toMatchObject({ reason: 'spaced', by: 'bob' });
  });

  it('lets a valid operator token engage after any number of failed logins from the same address', async () => {
    const fixture = await engineUnderTest();
    const { post, counters } = await harness(fixture, {
      maxAuthFailures: 5,
      authFailureWindowMs: 60_000,
    });
    // Another local process guessing: the operator's own console shares its address.
    const local = '127.0.0.1';
    for (let guess = 0; guess < 20; guess += 1) {
      const token = guess % 4 === 0 ? null : `guess-${guess}`;
      const refused = await post('engage', token, GOOD_BODY, { remoteAddress: local });
      expect([401, 429]).toContain(refused.statusCode);
    }
    expect(counters.authFailures['rate-limited']).toBeGreaterThan(0);

    const engaged = await post('engage', TOKENS.operator, GOOD_BODY, { remoteAddress: local });
    expect(engaged.statusCode).toBe(200);
    expect(engaged.json<MutationResponse>().record).toMatchObject({
      state: 'ENGAGED',
      origin: { channel: 'http', role: 'operator', address: local },
    });
    expect(fixture.killSwitch.state).toBe('ENGAGED');
    expect(counters.mutations).toEqual([{ action: 'engage', role: 'operator' }]);
  });

  it('answers 429 with Retry-After to failing tokens from an address over the limit, and only to them', async () => {
    const fixture = await engineUnderTest();
    const { post, counters } = await harness(fixture, {
      maxAuthFailures: 3,
      authFailureWindowMs: 60_000,
    });
    const attacker = '198.51.100.7';
    expect(
      (await post('engage', 'guess-1', GOOD_BODY, { remoteAddress: attacker })).statusCode,
    ).toBe(401);
    expect((await post('engage', null, GOOD_BODY, { remoteAddress: attacker })).statusCode).toBe(
      401,
    );
    expect(
      (await post('engage', 'guess-2', GOOD_BODY, { remoteAddress: attacker })).statusCode,
    ).toBe(401);
    for (const token of ['guess-3', null]) {
      const limited = await post('engage', token, GOOD_BODY, { remoteAddress: attacker });
      expect(limited.statusCode).toBe(429);
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.json<{ error: { code: string } }>().error.code).toBe('RATE_LIMITED');
    }
    expect(await storedRevision(fixture)).toBe(1);
    expect(counters.authFailures).toEqual({
      'missing-token': 1,
      'invalid-token': 2,
      forbidden: 0,
      'rate-limited': 2,
    });

    // The limit is per address; and a good token from the limited one is not refused either.
    const other = await post('reduce', TOKENS.operator, GOOD_BODY, {
      remoteAddress: '203.0.113.9',
    });
    expect(other.statusCode).toBe(200);
    expect(other.json<MutationResponse>().record.origin?.address).toBe('203.0.113.9');
    const fromAttacker = await post('engage', TOKENS.admin, GOOD_BODY, { remoteAddress: attacker });
    expect(fromAttacker.statusCode).toBe(200);
    expect(fromAttacker.json<MutationResponse>().record.origin?.address).toBe(attacker);
  });

  it('still refuses a role its action while the address is limited: 403, not a pass', async () => {
    const fixture = await engineUnderTest();
    await fixture.killSwitch.engage('drill', 'alice');
    const { post } = await harness(fixture, { maxAuthFailures: 1, authFailureWindowMs: 60_000 });
    await post('engage', 'guess', GOOD_BODY);
    const refused = await post('reset', TOKENS.operator, GOOD_BODY);
    expect(refused.statusCode).toBe(403);
    expect(fixture.killSwitch.state).toBe('ENGAGED');
  });

  it('lists a second engine on the same store among the confirmations', async () => {
    const store = new MemoryKillSwitchStore();
    const first = await engineUnderTest({ store, engineId: 'engine-a' });
    const second = await engineUnderTest({ store, engineId: 'engine-b' });
    const runs = [first.run(), second.run()];
    cleanups.push(() => Promise.all(runs.map((run) => run.stop())));
    await eventually('both engines to report', async () => {
      const reports = await store.listEngineReports();
      return reports.length === 2 ? reports : undefined;
    });
    const { post } = await harness(first);
    const response = await post('engage', TOKENS.operator, GOOD_BODY);
    expect(response.statusCode).toBe(200);
    const { confirmations } = response.json<MutationResponse>();
    expect(confirmations.missing).toEqual([]);
    expect(confirmations.confirmed.map((engine) => engine.engineId).sort()).toEqual([
      'engine-a',
      'engine-b',
    ]);
    for (const engine of confirmations.confirmed) {
      expect(engine.observedRevision).toBeGreaterThanOrEqual(2);
      expect(engine.enforcedState).toBe('ENGAGED');
    }
    expect(second.killSwitch.state).toBe('ENGAGED');
  });

  it('answers 202 naming every registered engine that does not confirm, even one whose clock is an hour behind', async () => {
    const fixture = await engineUnderTest({ confirmTimeoutMs: 300, engineStaleAfterMs: 10_000 });
    await fixture.store.publishEngineReport(foreignReport('silent-engine'));
    await fixture.store.publishEngineReport(
      foreignReport('clock-behind-engine', { reportedAt: Date.now() - 3_600_000 }),
    );
    // A process in this host's boot and pid namespace that is gone is known gone: not waited for.
    await fixture.store.publishEngineReport(
      foreignReport('exited-engine', {
        host: os.hostname(),
        pid: 2 ** 22 + 17,
        process: { ...ownProcessIdentity()!, startTicks: 1 },
      }),
    );
    const { post } = await harness(fixture);
    const response = await post('engage', TOKENS.operator, GOOD_BODY);
    expect(response.statusCode).toBe(202);
    const body = response.json<MutationResponse>();
    expect(body.ok).toBe(false);
    expect(body.changed).toBe(true);
    expect(body.confirmations.missing.map((engine) => engine.engineId).sort()).toEqual([
      'clock-behind-engine',
      'silent-engine',
    ]);
    expect(body.confirmations.confirmed).toEqual([]);
    // Not confirmed, but durable and enforced here all the same.
    expect((await fixture.store.read())?.state).toBe('ENGAGED');
    expect(fixture.killSwitch.state).toBe('ENGAGED');
  });

  it('answers 500 with the store error when a change cannot be made durable, and keeps failing closed', async () => {
    const store = new MemoryKillSwitchStore();
    const fixture = await engineUnderTest({ store });
    const { post, counters } = await harness(fixture);
    store.simulateUnreadable('disk on fire');
    const response = await post('reduce', TOKENS.operator, GOOD_BODY);
    expect(response.statusCode).toBe(500);
    const { error } = response.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe('ERR_STATE_UNREADABLE');
    expect(error.message).toContain('disk on fire');
    expect(error.message).toContain('enforce');
    expect(fixture.killSwitch.state).toBe('ENGAGED');
    expect(counters.mutations).toEqual([]);
  });

  it('never logs a token, even on failures, and logs each accepted change once', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    const fixture = await engineUnderTest();
    const { post, app } = await harness(fixture, { logger, maxAuthFailures: 2 });
    const wrongToken = 'wrong-token-3b1f0e9d';
    await post('engage', wrongToken, GOOD_BODY);
    await post('reset', TOKENS.operator, GOOD_BODY);
    await post('engage', TOKENS.admin, { reason: 'x', by: '' });
    await post('engage', TOKENS.admin, undefined, { payload: '{ nope' });
    await post('engage', TOKENS.admin, GOOD_BODY);
    await post('reset', TOKENS.admin, { reason: 'done', by: 'carol' });
    await post('engage', wrongToken, GOOD_BODY);
    await post('engage', wrongToken, GOOD_BODY); // rate limited now
    await app.inject({ method: 'GET', url: '/api/status', headers: bearer(TOKENS.admin) });
    await app.close();
    await eventually('log lines to be written', () => (lines.length > 0 ? true : undefined));

    const text = lines.join('');
    for (const secret of [TOKENS.admin, TOKENS.operator, wrongToken]) {
      expect(text).not.toContain(secret ?? 'unset');
    }
    expect(text.toLowerCase()).not.toContain('bearer');
    const records = lines.flatMap((chunk) =>
      chunk
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    );
    const changes = records.filter(
      (record) => typeof record.action === 'string' && record.revision !== undefined,
    );
    expect(changes).toEqual([
      expect.objectContaining({
        action: 'engage',
        role: 'admin',
        address: '127.0.0.1',
        by: 'alice',
        reason: 'venue misbehaving',
        revision: 2,
      }),
      expect.objectContaining({ action: 'reset', role: 'admin', by: 'carol', revision: 3 }),
    ]);
  });
});

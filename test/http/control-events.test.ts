import http from 'node:http';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { LivegateEvent } from '../../src/core/events.js';
import { isLivegateError } from '../../src/core/errors.js';
import {
  startControlServer,
  type ControlServerOptions,
  type RunningControlServer,
} from '../../src/http/control-server.js';
import { ControlStream } from '../../src/http/control-stream.js';
import type { EngineView } from '../../src/http/engine-view.js';
import {
  bearer,
  engineUnderTest,
  eventually,
  TOKENS,
  type EngineUnderTest,
} from './support/control-fixture.js';
import { SseClient } from './support/sse-client.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(
  view: EngineView,
  options: Partial<ControlServerOptions> & { port?: number } = {},
): Promise<RunningControlServer> {
  const server = await startControlServer({
    view,
    tokens: TOKENS,
    maxAuthFailures: 5,
    authFailureWindowMs: 60_000,
    statsIntervalMs: 100,
    host: '127.0.0.1',
    port: 0,
    ...options,
  });
  cleanups.push(() => server.close());
  return server;
}

async function connect(
  server: RunningControlServer,
  access: { ticket?: string; token?: string | null } = {},
): Promise<SseClient> {
  const url = new URL('api/events', server.url);
  if (access.ticket !== undefined) url.searchParams.set('ticket', access.ticket);
  const client = await SseClient.connect(url.href, bearer(access.token ?? null));
  cleanups.push(() => client.close());
  return client;
}

/** POST /api/events/ticket with a bearer token: the status and, on 200, the body. */
async function requestTicket(
  server: RunningControlServer,
  token: string | null,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL('api/events/ticket', server.url), {
    method: 'POST',
    headers: bearer(token),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function ticketFor(server: RunningControlServer, token: string | null): Promise<string> {
  const { status, body } = await requestTicket(server, token);
  expect(status).toBe(200);
  return body.ticket as string;
}

/** The real view, with its engine subscriptions counted. */
function countingSubscriptions(fixture: EngineUnderTest): { view: EngineView; active(): number } {
  let active = 0;
  const view: EngineView = {
    ...fixture.view,
    on: (listener: (event: LivegateEvent) => void) => {
      active += 1;
      const unsubscribe = fixture.view.on(listener);
      return () => {
        active -= 1;
        unsubscribe();
      };
    },
  };
  return { view, active: () => active };
}

describe('GET /api/events over a real socket', () => {
  it('streams state and heartbeat at once, state on engage, stats and denials per interval, and closes while connected', async () => {
    const fixture = await engineUnderTest({ heartbeatIntervalMs: 200 });
    const running = fixture.run();
    cleanups.push(() => running.stop());
    const server = await listen(fixture.view);
    const client = await connect(server);
    expect(client.statusCode).toBe(200);
    expect(client.response.headers['content-type']).toContain('text/event-stream');
    expect(client.response.headers['cache-control']).toBe('no-store');
    expect(client.response.headers['x-content-type-options']).toBe('nosniff');
    expect(client.response.headers['x-frame-options']).toBe('DENY');

    const state = await client.next('state');
    expect(state.data).toMatchObject({ enforcedState: 'SAFE', failClosed: false, failure: null });
    expect(state.data).not.toHaveProperty('type');
    expect(client.messages.findIndex((message) => message.event === 'state')).toBe(0);
    await client.next('heartbeat');

    const stats = await client.next('stats', (data) => (data.ticksPerSecond as number) > 0);
    expect(stats.data).toMatchObject({ intervalMs: expect.any(Number) as number });
    expect(stats.data.ticks).toBeGreaterThan(0);
    await client.next(
      'stats',
      (data) => data.latencyP50Us !== null && (data.ordersPerSecond as number) > 0,
    );
    const engineHeartbeat = await client.next('heartbeat', (data) =>
      (data.engines as { engineId: string }[]).some((engine) => engine.engineId === 'engine-a'),
    );
    expect(engineHeartbeat.data).toMatchObject({ risk: null });

    const marker = client.messages.length;
    const response = await fetch(new URL('api/killswitch/engage', server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'sse test', by: 'alice' }),
    });
    expect(response.status).toBe(200);
    // The gates close before the write (record still revision 1), then the durable record follows.
    const durable = await client.next(
      'state',
      (data) => (data.record as { revision: number }).revision === 2,
      marker,
    );
    expect(durable.data).toMatchObject({
      enforcedState: 'ENGAGED',
      record: { state: 'ENGAGED', by: 'alice', origin: { channel: 'http', role: 'operator' } },
    });
    const states = client.messages.slice(marker).filter((message) => message.event === 'state');
    expect(states[0]?.data.enforcedState).toBe('ENGAGED');
    // onChange fires several times per engage; each distinct state is sent once.
    const keys = states.map(
      (message) =>
        `${(message.data.record as { revision: number }).revision}|${String(message.data.enforcedState)}`,
    );
    expect(new Set(keys).size).toBe(keys.length);
    const denials = await client.next(
      'denials',
      (data) => ((data.byCode as Record<string, number>)['gate1:KILL_SWITCH_ENGAGED'] ?? 0) > 0,
      marker,
    );
    expect(denials.data.intervalMs).toEqual(expect.any(Number));
    // The engine's own counter since start (what the console shows), at least this interval's.
    const sinceStart = denials.data.sinceStart as Record<string, number>;
    const inInterval = (denials.data.byCode as Record<string, number>)[
      'gate1:KILL_SWITCH_ENGAGED'
    ]!;
    expect(sinceStart['gate1:KILL_SWITCH_ENGAGED']).toBeGreaterThanOrEqual(inInterval);
    expect(sinceStart['gate1:KILL_SWITCH_ENGAGED']).toBeLessThanOrEqual(
      fixture.view.summary().blocks['gate1:KILL_SWITCH_ENGAGED'] ?? 0,
    );

    await server.close();
    await eventually('the stream to end', () => (client.ended ? true : undefined));
  });

  it('sends a console opened later the stats history (5 minutes) right after the state', async () => {
    const fixture = await engineUnderTest({ heartbeatIntervalMs: 200 });
    const running = fixture.run();
    cleanups.push(() => running.stop());
    const server = await listen(fixture.view);
    // Nobody watches for a while: the stats are sampled all the same.
    await new Promise((resolve) => setTimeout(resolve, 650));
    const client = await connect(server);
    await client.next('state');
    const history = await client.next('history');
    expect(client.messages[1]?.event).toBe('history');
    const stats = history.data.stats as { type: string; time: number; ticks: number }[];
    expect(stats.length).toBeGreaterThanOrEqual(4); // every 100 ms here, for 650 ms
    expect(stats.every((entry) => entry.type === 'stats')).toBe(true);
    const times = stats.map((entry) => entry.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(stats.at(-1)!.ticks).toBeGreaterThan(0);
  });

  it('sends a risk message for each RiskLimitBreached event', async () => {
    const fixture = await engineUnderTest();
    const server = await listen(fixture.view);
    const client = await connect(server);
    await client.next('heartbeat');
    fixture.engine.emit({
      type: 'RiskLimitBreached',
      time: Date.now(),
      engineId: 'engine-a',
      rule: 'maxDailyLoss',
      action: 'engage',
      value: -1_200,
      threshold: -1_000,
      message: 'daily loss 1200 beyond 1000',
    });
    const risk = await client.next('risk');
    expect(risk.data).toMatchObject({
      rule: 'maxDailyLoss',
      action: 'engage',
      value: -1_200,
      threshold: -1_000,
      message: 'daily loss 1200 beyond 1000',
    });
  });

  it('shares one engine subscription among all clients and drops it when the last one leaves', async () => {
    const fixture = await engineUnderTest();
    const counted = countingSubscriptions(fixture);
    const server = await listen(counted.view);
    const first = await connect(server);
    const second = await connect(server);
    await first.next('heartbeat');
    await second.next('heartbeat');
    expect(counted.active()).toBe(1);

    await fixture.killSwitch.engage('shared', 'bob');
    await first.next('state', (data) => data.enforcedState === 'ENGAGED');
    await second.next('state', (data) => data.enforcedState === 'ENGAGED');

    first.close();
    second.close();
    await eventually('the aggregator to stop listening', () =>
      counted.active() === 0 ? true : undefined,
    );
    const third = await connect(server);
    await third.next('state', (data) => data.enforcedState === 'ENGAGED');
    expect(counted.active()).toBe(1);
  });

  it('refuses clients beyond the cap with 503', async () => {
    const fixture = await engineUnderTest();
    const server = await listen(fixture.view, { maxEventClients: 1 });
    const first = await connect(server);
    await first.next('state');
    const refused = await connect(server);
    expect(refused.statusCode).toBe(503);
    expect(JSON.parse(await refused.body())).toMatchObject({
      error: { code: 'TOO_MANY_CLIENTS' },
    });
    first.close();
    const again = await eventually('a slot to free up', async () => {
      const candidate = await connect(server);
      if (candidate.statusCode === 200) return candidate;
      candidate.close();
      return undefined;
    });
    await again.next('state');
  });
});

describe('GET /api/events slots for the operator', () => {
  it('keeps reserved stream slots: with every anonymous slot taken, a ticketed console still gets 200 and events', async () => {
    const fixture = await engineUnderTest();
    const server = await listen(fixture.view); // the defaults: 32 anonymous slots
    const squatters = await Promise.all(Array.from({ length: 32 }, () => connect(server)));
    expect(squatters.map((client) => client.statusCode)).toEqual(Array(32).fill(200));
    const overflow = await connect(server);
    expect(overflow.statusCode).toBe(503);
    expect(JSON.parse(await overflow.body())).toMatchObject({
      error: { code: 'TOO_MANY_CLIENTS' },
    });

    const operatorConsole = await connect(server, {
      ticket: await ticketFor(server, TOKENS.operator),
    });
    expect(operatorConsole.statusCode).toBe(200);
    expect(operatorConsole.response.headers['content-type']).toContain('text/event-stream');
    await operatorConsole.next('state', (data) => data.enforcedState === 'SAFE');
    await fixture.killSwitch.engage('squatted stream', 'alice');
    await operatorConsole.next('state', (data) => data.enforcedState === 'ENGAGED');

    const stillRefused = await connect(server);
    expect(stillRefused.statusCode).toBe(503);
  });

  it('refuses an authenticated stream only once both the reserved and the anonymous slots are taken', async () => {
    const fixture = await engineUnderTest();
    const server = await listen(fixture.view, { maxEventClients: 1, reservedEventClients: 1 });
    const anonymous = await connect(server);
    expect(anonymous.statusCode).toBe(200);
    const reserved = await connect(server, { ticket: await ticketFor(server, TOKENS.admin) });
    expect(reserved.statusCode).toBe(200);
    const full = await connect(server, { ticket: await ticketFor(server, TOKENS.operator) });
    expect(full.statusCode).toBe(503);

    anonymous.close();
    const overflowing = await eventually('an anonymous slot to free up', async () => {
      const candidate = await connect(server, { ticket: await ticketFor(server, TOKENS.operator) });
      if (candidate.statusCode === 200) return candidate;
      candidate.close();
      return undefined;
    });
    await overflowing.next('state');
    // The authenticated client took the freed anonymous slot: an anonymous one waits again.
    expect((await connect(server)).statusCode).toBe(503);
  });

  it('spends a stream ticket on first use: presented again, or made up, it is refused 401 INVALID_TICKET', async () => {
    const fixture = await engineUnderTest();
    const server = await listen(fixture.view);
    const ticket = await ticketFor(server, TOKENS.operator);
    const first = await connect(server, { ticket });
    expect(first.statusCode).toBe(200);
    for (const presented of [ticket, 'made-up-ticket', '']) {
      const refused = await connect(server, { ticket: presented });
      expect(refused.statusCode).toBe(401);
      expect(JSON.parse(await refused.body())).toMatchObject({
        error: { code: 'INVALID_TICKET' },
      });
    }
  });

  it('hands out stream tickets only for a valid token, which the auth-failure limiter never refuses', async () => {
    const fixture = await engineUnderTest();
    const server = await listen(fixture.view, { maxAuthFailures: 2 });
    expect((await requestTicket(server, null)).status).toBe(401);
    expect((await requestTicket(server, 'wrong-token')).status).toBe(401);
    const limited = await requestTicket(server, 'wrong-again');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    const granted = await requestTicket(server, TOKENS.operator);
    expect(granted.status).toBe(200);
    expect(granted.body).toEqual({ ticket: expect.any(String) as string, expiresInMs: 30_000 });
    expect((granted.body.ticket as string).length).toBeGreaterThanOrEqual(43); // 256 bits
  });

  it('lets a client with a valid bearer header use the reserved slots, and refuses a wrong one 401', async () => {
    const fixture = await engineUnderTest();
    const server = await listen(fixture.view, { maxEventClients: 1, reservedEventClients: 1 });
    expect((await connect(server)).statusCode).toBe(200);
    expect((await connect(server, { token: 'wrong-token' })).statusCode).toBe(401);
    const withToken = await connect(server, { token: TOKENS.operator });
    expect(withToken.statusCode).toBe(200);
    await withToken.next('state');
  });

  it('never writes a stream ticket to the log', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    const fixture = await engineUnderTest();
    const server = await listen(fixture.view, { logger });
    const ticket = await ticketFor(server, TOKENS.operator);
    const client = await connect(server, { ticket });
    await client.next('state');
    expect((await connect(server, { ticket })).statusCode).toBe(401);
    await server.close();
    await eventually('log lines', () => (lines.length > 0 ? true : undefined));
    const text = lines.join('');
    expect(text).toContain('/api/events');
    expect(text).not.toContain(ticket);
    expect(text).not.toContain(TOKENS.operator);
  });
});

describe('ControlStream', () => {
  it('sends a keep-alive comment on its period and ends every stream on close()', async () => {
    const fixture = await engineUnderTest();
    const stream = new ControlStream({
      view: fixture.view,
      statsIntervalMs: 60_000,
      maxClients: 4,
      keepAliveIntervalMs: 50,
    });
    const server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream', connection: 'close' });
      stream.add(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as AddressInfo;
    const client = await SseClient.connect(`http://127.0.0.1:${port}/`);
    cleanups.push(() => client.close());
    await client.next('state');
    await eventually('a keep-alive comment', () =>
      client.comments.includes('keep-alive') ? true : undefined,
    );
    expect(stream.clientCount).toBe(1);
    await stream.close();
    await eventually('the stream to end', () => (client.ended ? true : undefined));
    expect(stream.clientCount).toBe(0);
    expect(stream.hasRoom()).toBe(false);
  });
});

describe('startControlServer', () => {
  it('rejects with ERR_HTTP_FAILED naming host:port when the port is taken', async () => {
    const fixture = await engineUnderTest();
    const first = await listen(fixture.view);
    const port = Number(new URL(first.url).port);
    const error: unknown = await listen(fixture.view, { port }).catch((caught: unknown) => caught);
    expect(isLivegateError(error, 'ERR_HTTP_FAILED')).toBe(true);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).toContain('EADDRINUSE');
  });

  it('gives a base URL ending in a slash and closes idempotently', async () => {
    const fixture = await engineUnderTest();
    const server = await listen(fixture.view);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const response = await fetch(new URL('healthz', server.url));
    expect(await response.json()).toEqual({ ok: true });
    await Promise.all([server.close(), server.close()]);
  });
});

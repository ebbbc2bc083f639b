import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { FileKillSwitchLayout } from '../../src/adapters/stores/file-kill-switch-layout.js';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import { buildControlServer, type ControlServerOptions } from '../../src/http/control-server.js';
import type { StatusResponse } from '../../src/http/control-messages.js';
import {
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

async function serverFor(
  fixture: EngineUnderTest,
  options: Partial<ControlServerOptions> = {},
): Promise<FastifyInstance> {
  const app = buildControlServer({
    view: fixture.view,
    tokens: TOKENS,
    maxAuthFailures: 5,
    authFailureWindowMs: 60_000,
    ...options,
  });
  cleanups.push(() => app.close());
  await app.ready();
  return app;
}

describe('control API reads', () => {
  it('answers /healthz while the process is alive', async () => {
    const app = await serverFor(await engineUnderTest());
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('reports /readyz 503 before the engine runs and 200 while it runs on a synthetic feed', async () => {
    const fixture = await engineUnderTest();
    const app = await serverFor(fixture);
    const before = await app.inject({ method: 'GET', url: '/readyz' });
    expect(before.statusCode).toBe(503);
    const notReady = before.json<{ ready: boolean; reason: string; checks: unknown[] }>();
    expect(notReady.ready).toBe(false);
    expect(notReady.reason).toContain('feed: engine not running');
    expect(notReady.reason).toContain('broker: not connected');
    expect(notReady.checks).toHaveLength(3);

    const running = fixture.run();
    cleanups.push(() => running.stop());
    const ready = await eventually('/readyz to answer 200', async () => {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      return response.statusCode === 200 ? response : undefined;
    });
    expect(ready.json()).toMatchObject({ ready: true });
  });

  it('serves /metrics from the given renderer with its content type, and 404 without one', async () => {
    const fixture = await engineUnderTest();
    const without = await serverFor(fixture);
    const missing = await without.inject({ method: 'GET', url: '/metrics' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ error: { message: string } }>().error.message).toContain(
      'metrics are not enabled',
    );

    const contentType = 'text/plain; version=0.0.4; charset=utf-8';
    const app = await serverFor(fixture, {
      metrics: {
        contentType,
        render: () => Promise.resolve(`livegate_ticks_total ${fixture.view.summary().ticks}\n`),
      },
    });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(contentType);
    expect(response.body).toBe('livegate_ticks_total 0\n');
  });

  it('serves /api/status with the switch, the engine, the fleet and the audit trail', async () => {
    const fixture = await engineUnderTest({ engineStaleAfterMs: 5_000 });
    await fixture.killSwitch.engage('drill', 'alice');
    await fixture.store.publishEngineReport(foreignReport('fresh-engine', { observedRevision: 2 }));
    await fixture.store.publishEngineReport(
      foreignReport('stale-engine', { reportedAt: Date.now() - 60_000 }),
    );
    const app = await serverFor(fixture);
    const response = await app.inject({ method: 'GET', url: '/api/status' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const status = response.json<StatusResponse & { storeError?: string }>();
    expect(status.engineId).toBe('engine-a');
    expect(status.runId).toBe(fixture.engine.runId);
    expect(status.killSwitch).toMatchObject({
      enforcedState: 'ENGAGED',
      failClosed: false,
      failure: null,
      record: { revision: 2, state: 'ENGAGED', by: 'alice', reason: 'drill' },
    });
    expect(status.engine).toMatchObject({ ticks: 0, state: 'ENGAGED', revision: 2 });
    expect(status.risk).toBeNull();
    expect(status.readiness.map((check) => check.name)).toEqual([
      'kill-switch-state',
      'feed',
      'broker',
    ]);
    const byId = Object.fromEntries(status.engines.map((engine) => [engine.engineId, engine]));
    expect(byId['fresh-engine']).toMatchObject({ stale: false, observedRevision: 2 });
    expect(byId['stale-engine']?.stale).toBe(true);
    expect(byId['stale-engine']?.heartbeatAgeMs).toBeGreaterThan(5_000);
    expect(status.audit.map((record) => record.revision)).toEqual([1, 2]);
    expect(status.storeError).toBeUndefined();
  });

  it('still answers /api/status 200 when the store cannot be read, naming the error', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-http-status-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const store = new FileKillSwitchStore({ stateDirectory: directory, useFsWatch: false });
    cleanups.push(() => store.close());
    const fixture = await engineUnderTest({ store });
    await fixture.killSwitch.engage('before the corruption', 'alice');
    await writeFile(new FileKillSwitchLayout(directory).revisionPath(1), '{ not json');
    const app = await serverFor(fixture);
    const response = await app.inject({ method: 'GET', url: '/api/status' });
    expect(response.statusCode).toBe(200);
    const status = response.json<StatusResponse & { storeError?: string }>();
    expect(status.storeError).toContain('audit trail');
    expect(status.storeError).toContain('ERR_STATE_UNREADABLE');
    expect(status.audit).toEqual([]);
    expect(status.killSwitch.enforcedState).toBe('ENGAGED');
    expect(status.engine.state).toBe('ENGAGED');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const app = await serverFor(await engineUnderTest());
    const response = await app.inject({ method: 'GET', url: '/api/nope?token=abc' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'no such route: GET /api/nope' },
    });
  });

  it('serves the console and its vendor files with a same-origin content security policy', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-http-console-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    await mkdir(path.join(directory, 'console'));
    await writeFile(
      path.join(directory, 'console', 'index.html'),
      '<!doctype html><title>x</title>',
    );
    await writeFile(path.join(directory, 'console', 'app.js'), 'console.log(1);\n');
    const vendorFile = path.join(directory, 'chart.min.js');
    await writeFile(vendorFile, 'window.chart = 1;\n');
    const app = await serverFor(await engineUnderTest(), {
      console: {
        directory: path.join(directory, 'console'),
        vendorFiles: { '/vendor/chart.min.js': vendorFile },
      },
    });

    const index = await app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toContain('text/html');
    expect(index.body).toContain('<title>x</title>');
    expect(cspDirectives(index.headers['content-security-policy']).get('default-src')).toBe(
      "'self'",
    );
    expect(index.headers['x-content-type-options']).toBe('nosniff');

    const script = await app.inject({ method: 'GET', url: '/app.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');

    const vendor = await app.inject({ method: 'GET', url: '/vendor/chart.min.js' });
    expect(vendor.statusCode).toBe(200);
    expect(vendor.body).toBe('window.chart = 1;\n');
    expect(cspDirectives(vendor.headers['content-security-policy']).get('default-src')).toBe(
      "'self'",
    );

    const escape = await app.inject({ method: 'GET', url: '/../chart.min.js' });
    expect(escape.statusCode).toBe(404);
    const api = await app.inject({ method: 'GET', url: '/api/status' });
    expect(api.statusCode).toBe(200);
  });

  it('forbids framing, sniffing and referrers on the console, its assets and the API alike', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-http-headers-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    await writeFile(path.join(directory, 'index.html'), '<!doctype html><title>x</title>');
    await writeFile(path.join(directory, 'app.js'), 'console.log(1);\n');
    const vendorFile = path.join(directory, 'chart.min.js');
    await writeFile(vendorFile, 'window.chart = 1;\n');
    const app = await serverFor(await engineUnderTest(), {
      console: { directory, vendorFiles: { '/vendor/chart.min.js': vendorFile } },
    });
    const requests = [
      { method: 'GET', url: '/', status: 200 },
      { method: 'GET', url: '/app.js', status: 200 },
      { method: 'GET', url: '/vendor/chart.min.js', status: 200 },
      { method: 'GET', url: '/api/status', status: 200 },
      { method: 'GET', url: '/healthz', status: 200 },
      { method: 'GET', url: '/api/nope', status: 404 },
      { method: 'GET', url: '/%zz', status: 400 },
      { method: 'POST', url: '/api/killswitch/engage', status: 401 },
    ] as const;
    for (const { method, url, status } of requests) {
      const response = await app.inject({ method, url });
      const where = `${method} ${url}`;
      expect(response.statusCode, where).toBe(status);
      const policy = cspDirectives(response.headers['content-security-policy']);
      expect(policy.get('frame-ancestors'), where).toBe("'none'");
      expect(policy.get('default-src'), where).toBe("'self'");
      expect(response.headers['x-frame-options'], where).toBe('DENY');
      expect(response.headers['x-content-type-options'], where).toBe('nosniff');
      expect(response.headers['referrer-policy'], where).toBe('no-referrer');
    }
  });

  it('answers / with 404 when no console is configured', async () => {
    const app = await serverFor(await engineUnderTest());
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(404);
    expect(response.json<{ error: { code: string } }>().error.code).toBe('CONSOLE_DISABLED');
  });
});

/** `default-src 'self'; frame-ancestors 'none'` → directive → its value. */
function cspDirectives(header: string | string[] | number | undefined): Map<string, string> {
  const directives = new Map<string, string>();
  for (const directive of String(header ?? '').split(';')) {
    const [name, ...values] = directive.trim().split(/\s+/);
    if (name !== undefined && name !== '') directives.set(name, values.join(' '));
  }
  return directives;
}

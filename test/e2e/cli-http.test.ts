// `livegate run` with its control API, as an operator would use it: a real process, real HTTP.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import {
  onlyJournal,
  runCli,
  type RunningCli,
  scratchDirectory,
  startCli,
  stoppedAfterEach,
  waitFor,
} from '../support/cli-harness.js';

const OPERATOR = 'operator-token-e2e-0123456789';
const ADMIN = 'admin-token-e2e-9876543210';
const PROMTOOL = '/usr/bin/promtool';
if (!existsSync(PROMTOOL) && process.env.CI === undefined) {
  console.warn(
    `SKIPPED the promtool lint of a live scrape: ${PROMTOOL} is missing (apt-get install prometheus)`,
  );
}

const running = stoppedAfterEach();

function startEngine(stateDir: string, extra: readonly string[] = [], env = {}): RunningCli {
  const cli = startCli(
    [
      'run',
      '--state-dir',
      stateDir,
      '--engine-id',
      'http-engine',
      '--strategy',
      'one-order-per-tick',
      '--rate',
      '1000',
      '--ticks',
      '0',
      '--http',
      '127.0.0.1:0',
      ...extra,
    ],
    { LIVEGATE_OPERATOR_TOKEN: OPERATOR, LIVEGATE_ADMIN_TOKEN: ADMIN, ...env },
  );
  running.push(cli);
  return cli;
}

async function baseUrlOf(cli: RunningCli): Promise<string> {
  return waitFor('the console address on stderr', () => {
    const match = /console and control API on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(cli.stderr());
    return match?.[1];
  });
}

interface Status {
  killSwitch: { enforcedState: string; record: { revision: number; origin?: unknown } | null };
  engine: { ticks: number; ordersSubmitted: number };
  audit: { revision: number; state: string; origin?: unknown }[];
}

async function status(base: string): Promise<Status> {
  const response = await fetch(new URL('api/status', base));
  expect(response.status).toBe(200);
  return (await response.json()) as Status;
}

function post(base: string, action: string, token: string | undefined, body: unknown) {
  return fetch(new URL(`api/killswitch/${action}`, base), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
}

describe('livegate run --http', () => {
  it('is stopped by an HTTP kill: durable, audited with role and address, and no order after it', async () => {
    const stateDir = await scratchDirectory();
    const engine = startEngine(stateDir);
    const base = await baseUrlOf(engine);
    expect((await fetch(new URL('healthz', base))).status).toBe(200);
    await waitFor('readiness', async () => (await fetch(new URL('readyz', base))).status === 200);
    await waitFor('orders', async () => ((await status(base)).engine.ordersSubmitted > 5 ? 1 : 0));

    const denied = await post(base, 'engage', 'not-the-token', { reason: 'x', by: 'mallory' });
    expect(denied.status).toBe(401);
    expect((await status(base)).killSwitch.enforcedState).toBe('SAFE');

    const kill = await post(base, 'engage', OPERATOR, { reason: 'runaway via http', by: 'alice' });
    expect(kill.status).toBe(200);
    const killed = (await kill.json()) as {
      ok: boolean;
      record: { revision: number; state: string; origin: unknown };
      confirmations: { confirmed: { engineId: string }[] };
    };
    expect(killed.ok).toBe(true);
    expect(killed.record).toMatchObject({
      state: 'ENGAGED',
      origin: { channel: 'http', role: 'operator', address: '127.0.0.1' },
    });
    expect(killed.confirmations.confirmed.map((entry) => entry.engineId)).toContain('http-engine');

    // Ticks keep arriving, orders do not.
    const after = await status(base);
    await waitFor('more ticks', async () =>
      (await status(base)).engine.ticks > after.engine.ticks + 100 ? 1 : 0,
    );
    expect((await status(base)).engine.ordersSubmitted).toBe(after.engine.ordersSubmitted);

    // Another process sees the same store: the CLI's status names the HTTP change.
    const cliStatus = await runCli(['status', '--state-dir', stateDir, '--json']);
    expect(cliStatus.code).toBe(0);
    expect(cliStatus.stdout).toContain('runaway via http');

    const operatorReset = await post(base, 'reset', OPERATOR, { reason: 'done', by: 'alice' });
    expect(operatorReset.status).toBe(403);
    const reset = await post(base, 'reset', ADMIN, { reason: 'post-mortem done', by: 'bob' });
    expect(reset.status).toBe(200);
    await waitFor('orders again', async () =>
      (await status(base)).engine.ordersSubmitted > after.engine.ordersSubmitted ? 1 : 0,
    );
    const audit = (await status(base)).audit;
    expect(audit.at(-1)).toMatchObject({ state: 'SAFE', origin: { role: 'admin' } });

    engine.child.kill('SIGTERM');
    const exited = await engine.exited;
    expect(exited.code).toBe(0);
    // The journal agrees: nothing submitted between the HTTP engage and the reset.
    const { events } = await readJournal(await onlyJournal(stateDir));
    const engagedAt = events.findIndex(
      (event) => event.type === 'KillSwitchChanged' && event.enforcedState === 'ENGAGED',
    );
    const safeAgain = events.findIndex(
      (event, index) =>
        index > engagedAt && event.type === 'KillSwitchChanged' && event.enforcedState === 'SAFE',
    );
    expect(engagedAt).toBeGreaterThan(0);
    expect(safeAgain).toBeGreaterThan(engagedAt);
    const between = events.slice(engagedAt, safeAgain);
    expect(between.filter((event) => event.type === 'OrderSubmitted')).toEqual([]);
  });

  it.skipIf(!existsSync(PROMTOOL) && process.env.CI === undefined)(
    'serves /metrics that promtool check metrics accepts without a lint warning',
    async () => {
      expect(existsSync(PROMTOOL), `${PROMTOOL} missing: .ci/run installs prometheus`).toBe(true);
      const engine = startEngine(await scratchDirectory());
      const base = await baseUrlOf(engine);
      await waitFor('orders', async () =>
        (await status(base)).engine.ordersSubmitted > 5 ? 1 : 0,
      );
      await post(base, 'engage', 'wrong', { reason: 'x', by: 'y' });
      const scrape = await (await fetch(new URL('metrics', base))).text();
      expect(scrape).toMatch(/^livegate_ticks_received_total \d+/m);
      const result = await new Promise<{ code: number; output: string }>((resolve) => {
        const child = execFile(PROMTOOL, ['check', 'metrics'], (error, stdout, stderr) => {
          resolve({ code: error === null ? 0 : Number(error.code ?? 1), output: stdout + stderr });
        });
        child.stdin?.end(scrape);
      });
      expect(result.output).toBe('');
      expect(result.code).toBe(0);
    },
  );

  it('runs without a server under --no-http', async () => {
    const stateDir = await scratchDirectory();
    const result = await runCli([
      'run',
      '--state-dir',
      stateDir,
      '--ticks',
      '200',
      '--rate',
      '0',
      '--no-http',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('control API');
  });

  it('refuses a malformed --http address with a usage error (exit 2) before trading', async () => {
    const stateDir = await scratchDirectory();
    const result = await runCli(['run', '--state-dir', stateDir, '--http', 'localhost']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--http must be HOST:PORT.*"localhost"/);
    expect(existsSync(path.join(stateDir, 'journal'))).toBe(false);
  });

  it('stops before trading when its port is taken (ERR_HTTP_FAILED, exit 1)', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const stateDir = await scratchDirectory();
      const result = await runCli([
        'run',
        '--state-dir',
        stateDir,
        '--engine-id',
        'http-engine',
        '--strategy',
        'one-order-per-tick',
        '--http',
        `127.0.0.1:${port}`,
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`ERR_HTTP_FAILED.*127\\.0\\.0\\.1:${port}`));
      const journal = path.join(stateDir, 'journal', 'http-engine');
      if (existsSync(journal)) expect((await readJournal(journal)).events).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it('exits 2 naming an unreadable token file, and never prints a token', async () => {
    const stateDir = await scratchDirectory();
    const config = path.join(stateDir, 'livegate.yaml');
    await writeFile(config, 'http:\n  adminTokenFile: ./missing-admin-token\n');
    const result = await runCli(['run', '--config', config, '--state-dir', stateDir], {
      LIVEGATE_OPERATOR_TOKEN: OPERATOR,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ERR_TOKEN_UNREADABLE.*missing-admin-token/);
    expect(result.stderr + result.stdout).not.toContain(OPERATOR);
  });
});

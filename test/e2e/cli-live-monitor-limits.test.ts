// A risk officer tightens the daily loss limit intraday, through the built CLI against a real
// `livegate run`: the engine has lost 600 under a limit of 1000; `limits set` to 500 is confirmed
// by the engine, which trips dailyLoss at once (ENGAGED or REDUCING per the rule's action), audited
// after the LimitsApplied that caused it. Loosening the limit or disabling the rule needs --loosen.
// Over HTTP the operator token may add a rule but not slow one down (403).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal, type JournalEntry } from '../../src/adapters/sinks/journal-reader.js';
import {
  assertBuilt,
  onlyJournal,
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
  type RunningCli,
} from '../support/cli-harness.js';
import { uniqueNamespace } from '../support/nats-server.js';
import {
  deleteNamespace,
  MACHINE_REDIS_URL,
  machineRedisAvailable,
} from '../support/redis-server.js';

const STRATEGY = path.resolve('test/fixtures/losing-round-trips-strategy.mjs');

interface Case {
  readonly store: 'file' | 'redis';
  readonly action: 'engage' | 'reduce';
  readonly state: 'ENGAGED' | 'REDUCING';
}

const CASES: Case[] = [
  { store: 'file', action: 'engage', state: 'ENGAGED' },
  { store: 'redis', action: 'reduce', state: 'REDUCING' },
];

const running: RunningCli[] = [];
afterEach(async () => {
  for (const cli of running.splice(0)) {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }
});

async function deployment({ store, action }: Case, namespace: string) {
  const stateDir = await scratchDirectory(`livegate-monitor-limits-${store}-`);
  const csv = path.join(stateDir, 'ticks.csv');
  // Two minutes of one quote every 100 ms, replayed in real time: the engine runs until stopped.
  const start = Date.parse('2024-03-04T09:00:00.000Z');
  const rows = Array.from(
    { length: 1_200 },
    (_, index) => `${new Date(start + index * 100).toISOString()},EURUSD,1.5,1.75`,
  );
  await writeFile(csv, `time,symbol,bid,ask\n${rows.join('\n')}\n`);
  const config = path.join(stateDir, 'livegate.yaml');
  await writeFile(
    config,
    [
      `stateDir: ${stateDir}`,
      store === 'file'
        ? 'killSwitch: { store: file }'
        : `killSwitch: { store: redis, url: "${MACHINE_REDIS_URL}", namespace: ${namespace} }`,
      'feed: { kind: csv, csv: { path: ticks.csv, speed: 1 } }',
      // 6 round trips of 400 at a 0.25 spread: a loss of exactly 600, then no more orders.
      `strategy: { module: ${STRATEGY}, options: { quantity: 400, roundTrips: 6 } }`,
      'engine: { heartbeatIntervalMs: 200 }',
      'http: { enabled: false }',
      'risk:',
      `  monitor: { rules: { dailyLoss: { limit: 1000, action: ${action} } } }`,
      '',
    ].join('\n'),
  );
  if (store === 'redis') {
    const init = await runCli(['init', '--config', config, '--reason', 'test', '--by', 'tester']);
    expect(init.stderr).toBe('');
  }
  return { stateDir, config };
}

async function entries(stateDir: string): Promise<JournalEntry[]> {
  return (await readJournal(await onlyJournal(stateDir))).events;
}

function limitsSet(config: string, ...args: string[]) {
  return runCli(['limits', 'set', ...args, '--config', config, '--by', 'carol']);
}

describe.each(CASES)('livegate limits set monitor.rules on the $store store', (testCase) => {
  it(`tightens dailyLoss below the day's loss: confirmed, the rule trips (${testCase.state}), loosening refused`, async () => {
    assertBuilt();
    if (testCase.store === 'redis' && !(await machineRedisAvailable('monitor limits (redis)'))) {
      return;
    }
    const namespace = uniqueNamespace('monlim');
    const { stateDir, config } = await deployment(testCase, namespace);
    try {
      const run = startCli(['run', '--config', config]);
      running.push(run);
      await waitFor(
        'six losing round trips journaled (a loss of 600)',
        async () => {
          if (run.child.exitCode !== null) throw new Error(`run exited: ${run.stderr()}`);
          const events = await entries(stateDir).catch((): JournalEntry[] => []);
          const last = events.filter((event) => event.type === 'RiskStateRecorded').at(-1);
          return last?.type === 'RiskStateRecorded' && last.state.balances.USD === -600
            ? true
            : undefined;
        },
        30_000,
      );

      const loosen = await limitsSet(config, 'risk.monitor.rules.dailyLoss.limit=2000', '-r', 'x');
      expect(loosen.code).toBe(2);
      expect(loosen.stderr).toMatch(
        /ERR_LIMITS_LOOSENING_REFUSED: .*monitor\.rules\.dailyLoss\.limit \(not overridden; 1000 in this config\) -> 2000.*--loosen/,
      );
      const disable = await limitsSet(config, 'monitor.rules.dailyLoss=', '-r', 'x');
      expect(disable.code).toBe(2);
      expect(disable.stderr).toMatch(
        /ERR_LIMITS_LOOSENING_REFUSED: .*monitor\.rules\.dailyLoss \(not overridden; .*\) -> \(off\)/,
      );
      const invalid = await limitsSet(config, 'monitor.rules.dailyLoss.limit=-1', '-r', 'x');
      expect(invalid.code).toBe(2);
      expect(invalid.stderr).toMatch(/monitor\.rules\.dailyLoss\.limit/);

      const tighten = await limitsSet(
        config,
        'risk.monitor.rules.dailyLoss.limit=500',
        '--reason',
        'risk officer cuts the day',
        '--timeout',
        '10000',
      );
      expect(tighten.stderr).toBe('');
      expect(tighten.code).toBe(0);
      expect(tighten.stdout).toMatch(
        /monitor\.rules\.dailyLoss\.limit: \(not overridden\) -> 500 \(tightens\)/,
      );
      expect(tighten.stdout).toMatch(/1 of 1 engines confirmed revision 1/);

      const events = await waitFor(
        'dailyLoss to trip under the new limit',
        async () => {
          const all = await entries(stateDir);
          return all.some((event) => event.type === 'RiskLimitBreached') ? all : undefined;
        },
        20_000,
      );
      const applied = events.findIndex((e) => e.type === 'LimitsApplied' && e.revision === 1);
      const breached = events.findIndex((e) => e.type === 'RiskLimitBreached');
      expect(applied).toBeGreaterThanOrEqual(0);
      expect(breached).toBeGreaterThan(applied);
      expect(events[breached]).toMatchObject({
        rule: 'dailyLoss',
        action: testCase.action,
        value: 600,
        threshold: 500,
      });
      const status = await waitFor(
        `status to show ${testCase.state}`,
        async () => {
          const result = await runCli(['status', '--config', config]);
          return result.stdout.includes(testCase.state) ? result : undefined;
        },
        20_000,
      );
      expect(status.stdout).toMatch(/limits rev 1/);

      const history = await runCli(['limits', 'history', '--config', config, '--json']);
      const [record] = JSON.parse(history.stdout) as { by: string; diff: unknown[] }[];
      expect(record).toMatchObject({
        by: 'carol',
        diff: [{ key: 'monitor.rules.dailyLoss.limit', to: 500, loosens: false }],
      });
    } finally {
      if (testCase.store === 'redis') await deleteNamespace(MACHINE_REDIS_URL, namespace);
    }
  }, 90_000);
});

describe('POST /api/limits with monitor rules', () => {
  const OPERATOR = 'operator-token-for-monitor-limits';
  const ADMIN = 'admin-token-for-monitor-limits';
  const post = (base: string, token: string, body: unknown) =>
    fetch(new URL('api/limits', base), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('lets an operator add a loss limit (confirmed), refuses an operator slowing the stale-feed rule (403)', async () => {
    assertBuilt();
    const stateDir = await scratchDirectory('livegate-monitor-limits-http-');
    const cli = startCli(
      [
        'run',
        '--state-dir',
        stateDir,
        '--engine-id',
        'http-monitor-limits',
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

    // The embedded default rules include staleFeed at 10 s: a longer silence loosens it.
    const slower = await post(base, OPERATOR, {
      reason: 'quiet market',
      by: 'olga',
      set: { 'monitor.rules.staleFeed.limitMs': 60_000 },
    });
    expect(slower.status).toBe(403);
    expect(((await slower.json()) as { error: { message: string } }).error.message).toMatch(
      /monitor\.rules\.staleFeed\.limitMs \(not overridden; 10000 in this config\) -> 60000/,
    );

    const tighten = await post(base, OPERATOR, {
      reason: 'a loss budget for the day',
      by: 'olga',
      set: { 'monitor.rules.dailyLoss': { limit: 5_000, action: 'reduce' } },
    });
    expect(tighten.status).toBe(200);
    const body = (await tighten.json()) as {
      record: { revision: number; loosens: boolean };
      confirmations: { confirmed: { engineId: string }[] };
    };
    expect(body.record).toMatchObject({ revision: 1, loosens: false });
    expect(body.confirmations.confirmed.map((c) => c.engineId)).toEqual(['http-monitor-limits']);

    const current = (await (await fetch(new URL('api/limits', base))).json()) as {
      limits: { monitor: { rules: Record<string, unknown> } };
    };
    expect(current.limits.monitor.rules.dailyLoss).toEqual({ action: 'reduce', limit: 5_000 });
    // The engine's own status now holds the rule at the new limit.
    const status = await runCli(['status', '--state-dir', stateDir, '--json']);
    expect(status.stdout).toMatch(/"rule": "dailyLoss"/);
  }, 60_000);
});

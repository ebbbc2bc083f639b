// Review 11d: the guard's side of a poisoned override. The engines' config has an orderRate for desk
// fx, the guard's does not; an admin sets desks.fx.orderRate.windowMs=2000 --loosen (the engine
// confirms it, set exits 0: the guard is not waited for). Over the guard's config {windowMs} alone
// is invalid, so the guard rejects that revision and every later one: a desk dailyLoss cut to 500
// under an engine that lost 600 never engages desk:fx, while limits set said "1 of 1 confirmed".
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'vitest';
import { readJournal, type JournalEntry } from '../../src/adapters/sinks/journal-reader.js';
import {
  assertBuilt,
  runCli,
  type RunningCli,
  scratchDirectory,
  startCli,
  stoppedAfterEach,
  waitFor,
} from '../support/cli-harness.js';
import { fleetBackends } from '../support/fleet-backends.js';
import { uniqueNamespace } from '../support/nats-server.js';

const STRATEGY = path.resolve('test/fixtures/losing-round-trips-strategy.mjs');
const GUARD_INTERVAL_MS = 100;

const running = stoppedAfterEach();

interface GuardLine {
  readonly type: string;
  readonly time: string;
  readonly scope?: string;
  readonly changed?: boolean;
  readonly revision?: number;
}

function guardLines(guard: RunningCli): GuardLine[] {
  return guard
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as GuardLine);
}

async function cli(args: readonly string[]): Promise<void> {
  const result = await runCli(args);
  if (result.code !== 0)
    throw new Error(`livegate ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
}

describe.each(fleetBackends('review11d guard poisoned', ['file', 'redis']))(
  'a guard that cannot apply one desk override on $name',
  (backend) => {
    it('engages desk:fx after a tightened dailyLoss even when it could not apply an earlier override', async (context) => {
      assertBuilt();
      if (!(await backend.available())) {
        context.skip();
        return;
      }
      const directory = await scratchDirectory(`livegate-rev11d-guard-${backend.name}-`);
      const namespace = uniqueNamespace('rev11dguard');
      const stateDir = path.join(directory, 'state');
      const start = Date.parse('2024-03-04T09:00:00.000Z');
      const rows = Array.from(
        { length: 1_200 },
        (_, index) => `${new Date(start + index * 100).toISOString()},EURUSD,1.5,1.75`,
      );
      await writeFile(
        path.join(directory, 'ticks.csv'),
        `time,symbol,bid,ask\n${rows.join('\n')}\n`,
      );
      const config = path.join(directory, 'livegate.yaml');
      const guardConfig = path.join(directory, 'guard.yaml');
      const configLines = (desk: string) => [
        `stateDir: ${stateDir}`,
        `killSwitch: ${backend.killSwitch(namespace)}`,
        'feed: { kind: csv, csv: { path: ticks.csv, speed: 1 } }',
        `strategy: { module: ${STRATEGY}, options: { quantity: 400, roundTrips: 10 } }`,
        'engine: { heartbeatIntervalMs: 200 }',
        'http: { enabled: false }',
        'risk:',
        '  monitor: { rules: { dailyLoss: { limit: 100000 } } }',
        `  desks: { fx: ${desk} }`,
        '',
      ];
      await writeFile(
        config,
        configLines('{ dailyLoss: 5000, orderRate: { limit: 50 } }').join('\n'),
      );
      await writeFile(guardConfig, configLines('{ dailyLoss: 5000 }').join('\n'));
      const common = ['--config', config];
      try {
        if (backend.needsInit) await cli(['init', ...common, '--reason', 'test', '--by', 'tester']);
        running.push(startCli(['run', ...common, '--engine-id', 'live-fx', '--desk', 'fx']));
        const guard = startCli([
          'guard',
          '--config',
          guardConfig,
          '--interval',
          String(GUARD_INTERVAL_MS),
        ]);
        running.push(guard);
        const journal = async () =>
          (
            await readJournal(path.join(stateDir, 'journal', 'live-fx')).catch(() => ({
              events: [] as JournalEntry[],
            }))
          ).events;
        await waitFor(
          'the engine to lose 600',
          async () =>
            (await journal()).some(
              (e) => e.type === 'Heartbeat' && (e.report.risk?.dailyPnl ?? 0) <= -600,
            ) || undefined,
          40_000,
        );
        await cli([
          'limits',
          'set',
          'desks.fx.orderRate.windowMs=2000',
          '--loosen',
          ...common,
          '--reason',
          'a shorter rate window',
          '--by',
          'admin',
        ]);
        await cli([
          'limits',
          'set',
          'desks.fx.dailyLoss=500',
          ...common,
          '--reason',
          'cut the desk',
          '--by',
          'tester',
        ]);
        await waitFor(
          'the guard to engage desk:fx',
          () =>
            guardLines(guard).find(
              (line) =>
                line.type === 'scope-engaged' && line.scope === 'desk:fx' && line.changed === true,
            ),
          10_000,
        );
      } finally {
        await backend.cleanup?.(namespace);
      }
    }, 90_000);
  },
);

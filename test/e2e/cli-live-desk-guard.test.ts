// `livegate guard` follows limits revisions, through the built CLI on the file store and the
// machine's Redis: one engine of desk fx loses 100 per round trip under a desk dailyLoss of 5000;
// once it has lost 600, `limits set desks.fx.dailyLoss=500` makes the running guard engage desk:fx
// (trigger risk-guard) at its next look, without a restart; a loosened limit lets a reset stay reset.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
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
/** The guard's next look: one interval, one listing and the engage's write, with room for a loaded VM. */
const BOUND_MS = 2_000;

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

describe.each(fleetBackends('live desk guard', ['file', 'redis']))(
  'livegate guard with desk limits changed live on $name',
  (backend) => {
    it('engages desk:fx at its next look after a tightened dailyLoss, and keeps a reset under a loosened one', async (context) => {
      assertBuilt();
      if (!(await backend.available())) {
        context.skip();
        return;
      }
      const directory = await scratchDirectory(`livegate-live-guard-${backend.name}-`);
      const namespace = uniqueNamespace('liveguard');
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
      await writeFile(
        config,
        [
          `stateDir: ${stateDir}`,
          `killSwitch: ${backend.killSwitch(namespace)}`,
          'feed: { kind: csv, csv: { path: ticks.csv, speed: 1 } }',
          `strategy: { module: ${STRATEGY}, options: { quantity: 400, roundTrips: 10 } }`,
          'engine: { heartbeatIntervalMs: 200 }',
          'http: { enabled: false }',
          'risk:',
          '  monitor: { rules: { dailyLoss: { limit: 100000 } } }',
          '  desks: { fx: { dailyLoss: 5000 } }',
          '',
        ].join('\n'),
      );
      const common = ['--config', config];
      try {
        if (backend.needsInit) await cli(['init', ...common, '--reason', 'test', '--by', 'tester']);
        running.push(startCli(['run', ...common, '--engine-id', 'live-fx', '--desk', 'fx']));
        const guard = startCli(['guard', ...common, '--interval', String(GUARD_INTERVAL_MS)]);
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
          'desks.fx.dailyLoss=500',
          ...common,
          '--reason',
          'cut the desk',
          '--by',
          'tester',
        ]);
        const setReturned = Date.now();
        const engaged = await waitFor(
          'the guard to engage desk:fx',
          () =>
            guardLines(guard).find(
              (line) =>
                line.type === 'scope-engaged' && line.scope === 'desk:fx' && line.changed === true,
            ),
          10_000,
        );
        // From the revision's write (its `at`, as the guard printed it on applying it) to the engage.
        const applied = guardLines(guard).find(
          (line) => line.type === 'limits-applied' && line.revision === 1,
        ) as (GuardLine & { at: string }) | undefined;
        expect(applied).toBeDefined();
        const afterWriteMs = Date.parse(engaged.time) - Date.parse(applied!.at);
        console.log(
          `${backend.name}: desk:fx engaged ${afterWriteMs} ms after the revision was written, ${Date.parse(engaged.time) - setReturned} ms after limits set returned`,
        );
        expect(afterWriteMs).toBeLessThan(BOUND_MS);
        await waitFor(
          'the engine to enforce the guard ENGAGED',
          async () =>
            (await journal()).some(
              (e) =>
                e.type === 'KillSwitchChanged' &&
                e.enforcedState === 'ENGAGED' &&
                e.record.trigger === 'risk-guard',
            ) || undefined,
          10_000,
        );

        await cli([
          'limits',
          'set',
          'desks.fx.dailyLoss=100000',
          '--loosen',
          ...common,
          '--reason',
          'room again',
          '--by',
          'tester',
        ]);
        await waitFor(
          'the guard to follow revision 2',
          () =>
            guardLines(guard).find((line) => line.type === 'limits-applied' && line.revision === 2),
          10_000,
        );
        await cli([
          'reset',
          ...common,
          '--scope',
          'desk:fx',
          '--reason',
          'go',
          '--by',
          'tester',
          '--timeout',
          '20000',
        ]);
        await delay(1_000);
        const engages = guardLines(guard).filter(
          (line) => line.type === 'scope-engaged' && line.changed === true,
        );
        expect(engages).toHaveLength(1);
      } finally {
        await backend.cleanup?.(namespace);
      }
    }, 90_000);
  },
);

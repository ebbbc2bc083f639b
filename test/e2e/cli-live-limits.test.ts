// Limits changed while running, through the built CLI against real stores (file, NATS, Redis) and
// real `livegate run` engines: a tighter max order size is confirmed by both engines and then
// denies every order above it; loosening needs --loosen; a SIGSTOPped engine is named (exit 1);
// a restarted engine starts from the stored revision; two concurrent sets both land, in order.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
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
import { fleetBackends, type FleetBackend } from '../support/fleet-backends.js';
import { uniqueNamespace } from '../support/nats-server.js';

const BACKENDS = fleetBackends('live limits', ['file', 'nats', 'redis']);

const running = stoppedAfterEach();

function start(args: readonly string[]): RunningCli {
  const cli = startCli(args);
  running.push(cli);
  return cli;
}

async function deployment(backend: FleetBackend) {
  const directory = await scratchDirectory(`livegate-limits-${backend.name}-`);
  const namespace = uniqueNamespace('limits');
  const stateDir = path.join(directory, 'state');
  const config = path.join(directory, 'livegate.yaml');
  await writeFile(
    config,
    [
      `stateDir: ${stateDir}`,
      `killSwitch: ${backend.killSwitch(namespace)}`,
      'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 40 } }',
      // Alternating sides keep the position small: only the order size is at stake.
      'strategy: { module: periodic, options: { quantity: 5, every: 1 } }',
      'engine: { heartbeatIntervalMs: 200 }',
      'http: { enabled: false }',
      '',
    ].join('\n'),
  );
  if (backend.needsInit) {
    await cli(['init', '--config', config, '--reason', 'limits test', '--by', 'tester']);
  }
  return { directory, namespace, stateDir, config };
}

async function cli(args: readonly string[]) {
  const result = await runCli(args);
  if (result.code !== 0) {
    throw new Error(`livegate ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  }
  return result;
}

async function journalOf(stateDir: string, engineId: string): Promise<JournalEntry[]> {
  return (await readJournal(path.join(stateDir, 'journal', engineId))).events.filter(() => true);
}

async function submitting(stateDir: string, engineId: string, run: RunningCli): Promise<void> {
  await waitFor(
    `${engineId} to submit orders`,
    async () => {
      if (run.child.exitCode !== null) throw new Error(`${engineId} exited: ${run.stderr()}`);
      const events = await journalOf(stateDir, engineId).catch((): JournalEntry[] => []);
      return events.some((event) => event.type === 'OrderSubmitted') ? true : undefined;
    },
    20_000,
  );
}

/** From the engine's LimitsApplied of `revision` on: orders seen, and those not denied for size. */
async function afterApplied(stateDir: string, engineId: string, revision: number) {
  const events = await journalOf(stateDir, engineId);
  const applied = events.findIndex(
    (event) => event.type === 'LimitsApplied' && event.revision === revision,
  );
  if (applied < 0) return undefined;
  const later = events.slice(applied + 1);
  return {
    applied: events[applied]!,
    denied: later.filter(
      (event) => event.type === 'OrderDenied' && event.code === 'MAX_ORDER_QUANTITY_EXCEEDED',
    ).length,
    submitted: later.filter((event) => event.type === 'OrderSubmitted').length,
  };
}

describe.each(BACKENDS)('livegate limits on the $name store', (backend) => {
  it('tightens under two running engines, refuses loosening, names a stopped engine, survives a restart', async () => {
    assertBuilt();
    if (!(await backend.available())) return;
    const { stateDir, config, namespace } = await deployment(backend);
    try {
      const a = start(['run', '--config', config, '--engine-id', 'lim-a']);
      const b = start(['run', '--config', config, '--engine-id', 'lim-b']);
      await submitting(stateDir, 'lim-a', a);
      await submitting(stateDir, 'lim-b', b);

      const tighten = await runCli([
        'limits',
        'set',
        'preTrade.defaults.maxQuantity=3',
        '--config',
        config,
        '--reason',
        'desk halves order size',
        '--by',
        'alice',
        '--timeout',
        '10000',
      ]);
      expect(tighten.stderr).toBe('');
      expect(tighten.code).toBe(0);
      expect(tighten.stdout).toMatch(/limits revision 1 written by alice: desk halves order size/);
      expect(tighten.stdout).toMatch(
        /preTrade\.defaults\.maxQuantity: \(not overridden\) -> 3 \(tightens\)/,
      );
      expect(tighten.stdout).toMatch(/2 of 2 engines confirmed revision 1/);
      // Confirmed means enforced: from LimitsApplied on, every order of 5 is denied, none sent.
      for (const engineId of ['lim-a', 'lim-b']) {
        const seen = await waitFor(
          `${engineId} denying orders of 5`,
          async () => {
            const after = await afterApplied(stateDir, engineId, 1);
            return after !== undefined && after.denied >= 5 ? after : undefined;
          },
          20_000,
        );
        expect(seen.submitted).toBe(0);
        expect(seen.applied).toMatchObject({ when: 'change', by: 'alice' });
      }

      const loosen = await runCli([
        'limits',
        'set',
        'preTrade.defaults.maxQuantity=10',
        '--config',
        config,
        '--reason',
        'back up',
        '--by',
        'bob',
      ]);
      expect(loosen.code).toBe(2);
      expect(loosen.stderr).toMatch(
        /ERR_LIMITS_LOOSENING_REFUSED: .*preTrade\.defaults\.maxQuantity 3 -> 10.*--loosen/,
      );
      const unknown = await runCli([
        'limits',
        'set',
        'preTrade.defaults.maxQuantty=1',
        '--config',
        config,
        '--reason',
        'typo',
      ]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/ERR_USAGE: .*preTrade\.defaults\.maxQuantty: unknown key/);
      const negative = await runCli([
        'limits',
        'set',
        'preTrade.defaults.maxQuantity=-1',
        '--config',
        config,
        '--reason',
        'bad',
      ]);
      expect(negative.code).toBe(2);
      expect(negative.stderr).toMatch(/preTrade\.defaults\.maxQuantity: must be/);

      // A frozen engine cannot confirm: the set exits 1 and names it; the other confirms.
      b.child.kill('SIGSTOP');
      const frozen = await runCli([
        'limits',
        'set',
        'preTrade.defaults.maxQuantity=2',
        '--config',
        config,
        '--reason',
        'tighter still',
        '--by',
        'alice',
        '--timeout',
        '1500',
      ]);
      b.child.kill('SIGCONT');
      expect(frozen.code).toBe(1);
      expect(frozen.stdout).toMatch(/confirmed: lim-a .*enforces revision 2/);
      expect(frozen.stderr).toMatch(
        /ERR_LIMITS_UNCONFIRMED: limits revision 2 not confirmed within 1500 ms by lim-b \(still enforces limits revision 1/,
      );

      // Loosening with --loosen is recorded as such.
      await cli([
        'limits',
        'set',
        'preTrade.defaults.maxQuantity=4',
        '--loosen',
        '--config',
        config,
        '--reason',
        'one more lot',
        '--by',
        'carol',
        '--timeout',
        '10000',
      ]);

      // A restarted engine starts from the stored revision, not from its config.
      a.child.kill('SIGTERM');
      await a.exited;
      const again = start(['run', '--config', config, '--engine-id', 'lim-a']);
      const restarted = await waitFor(
        'the restarted engine to deny orders of 5',
        async () => {
          if (again.child.exitCode !== null) throw new Error(`restart exited: ${again.stderr()}`);
          const events = await journalOf(stateDir, 'lim-a');
          const starts = events
            .map((event, index) =>
              event.type === 'LimitsApplied' && event.when === 'start' ? index : -1,
            )
            .filter((index) => index >= 0);
          const startIndex = starts.at(-1) ?? -1;
          if (startIndex < 0) return undefined;
          const later = events.slice(startIndex);
          const denied = later.filter((event) => event.type === 'OrderDenied').length;
          return denied >= 3 ? { event: events[startIndex]!, later } : undefined;
        },
        20_000,
      );
      expect(restarted.event).toMatchObject({ revision: 3, when: 'start', by: 'carol' });
      expect(restarted.later.filter((event) => event.type === 'OrderSubmitted')).toEqual([]);

      const history = await cli(['limits', 'history', '--config', config, '--json']);
      const records = JSON.parse(history.stdout) as {
        revision: number;
        by: string;
        loosens: boolean;
        diff: { key: string; from?: unknown; to?: unknown; loosens: boolean }[];
      }[];
      expect(records.map((r) => [r.revision, r.by, r.loosens])).toEqual([
        [1, 'alice', false],
        [2, 'alice', false],
        [3, 'carol', true],
      ]);
      expect(records[2]!.diff).toEqual([
        { key: 'preTrade.defaults.maxQuantity', from: 2, to: 4, loosens: true },
      ]);
      const show = await cli(['limits', 'show', '--config', config]);
      expect(show.stdout).toMatch(/^limits revision 3 .* by carol: one more lot/);
    } finally {
      await backend.cleanup?.(namespace);
    }
  }, 120_000);

  it('two concurrent sets both land as consecutive revisions, each on top of the other', async () => {
    assertBuilt();
    if (!(await backend.available())) return;
    const { config, namespace } = await deployment(backend);
    try {
      const set = (assignment: string, by: string) =>
        runCli(['limits', 'set', assignment, '--config', config, '--reason', 'race', '--by', by]);
      const results = await Promise.all([
        set('preTrade.maxOpenOrders=10', 'one'),
        set('preTrade.defaults.maxPosition=100', 'two'),
        set('preTrade.maxGrossExposure=1000000', 'three'),
      ]);
      expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
      const history = JSON.parse(
        (await cli(['limits', 'history', '--config', config, '--json'])).stdout,
      ) as { revision: number; by: string; limits: { preTrade: Record<string, unknown> } }[];
      expect(history.map((r) => r.revision)).toEqual([1, 2, 3]);
      expect(new Set(history.map((r) => r.by))).toEqual(new Set(['one', 'two', 'three']));
      // No change lost: the last revision holds all three.
      expect(history[2]!.limits.preTrade).toEqual({
        maxOpenOrders: 10,
        defaults: { maxPosition: 100 },
        maxGrossExposure: 1000000,
      });
    } finally {
      await backend.cleanup?.(namespace);
    }
  }, 60_000);
});

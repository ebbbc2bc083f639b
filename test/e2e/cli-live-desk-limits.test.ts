// Desk limits changed while running, through the built CLI on the file store and Redis: two `livegate run`
// engines of desk fx buy 1 EURUSD per tick under a desk maxPosition of 100 000; once each holds at
// least 40, `limits set desks.fx.maxPosition=20` returns when both enforce it, and from each
// engine's LimitsApplied on no buy leaves either engine (every one denied DESK_LIMIT).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { readJournal, type JournalEntry } from '../../src/adapters/sinks/journal-reader.js';
import {
  assertBuilt,
  runCli,
  scratchDirectory,
  startCli,
  stoppedAfterEach,
  waitFor,
} from '../support/cli-harness.js';
import { fleetBackends } from '../support/fleet-backends.js';
import { uniqueNamespace } from '../support/nats-server.js';

const running = stoppedAfterEach();

type Entry = JournalEntry & {
  readonly code?: string;
  readonly position?: number;
  readonly when?: string;
  readonly details?: Record<string, unknown>;
};

async function journal(stateDir: string, id: string): Promise<Entry[]> {
  return (await readJournal(path.join(stateDir, 'journal', id)).catch(() => ({ events: [] })))
    .events;
}

describe.each(fleetBackends('live desk limits', ['file', 'redis']))(
  'desk limits changed live on $name',
  (backend) => {
    it('denies every order past a lowered desk maxPosition once limits set returns', async (context) => {
      assertBuilt();
      if (!(await backend.available())) {
        context.skip();
        return;
      }
      const namespace = uniqueNamespace('livedesk');
      const directory = await scratchDirectory(`livegate-live-desk-${backend.name}-`);
      const stateDir = path.join(directory, 'state');
      const config = path.join(directory, 'livegate.yaml');
      await writeFile(
        config,
        [
          `stateDir: ${stateDir}`,
          `killSwitch: ${backend.killSwitch(namespace)}`,
          'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 40 } }',
          'strategy: { module: one-order-per-tick, options: { quantity: 1, side: buy } }',
          'engine: { heartbeatIntervalMs: 200 }',
          'http: { enabled: false }',
          'risk:',
          '  desks: { fx: { maxPosition: 100000 } }',
          '  deskView: { maxAgeMs: 3000 }',
          '',
        ].join('\n'),
      );
      if (backend.needsInit) {
        const init = await runCli([
          'init',
          '--config',
          config,
          '--reason',
          'test',
          '--by',
          'tester',
        ]);
        expect(init.code, init.stderr).toBe(0);
      }
      const ids = ['live-desk-a', 'live-desk-b'];
      for (const id of ids) {
        running.push(startCli(['run', '--config', config, '--engine-id', id, '--desk', 'fx']));
      }
      const positionOf = async (id: string) =>
        (await journal(stateDir, id)).filter((e) => e.type === 'OrderFilled').at(-1)?.position ?? 0;
      await waitFor(
        'both engines past 40',
        async () => {
          const positions = await Promise.all(ids.map(positionOf));
          return positions.every((position) => position >= 40) || undefined;
        },
        30_000,
      );
      const set = await runCli([
        'limits',
        'set',
        'desks.fx.maxPosition=20',
        '--config',
        config,
        '--reason',
        'cut the desk',
        '--by',
        'tester',
      ]);
      expect(set.code, set.stderr + set.stdout).toBe(0);
      await delay(1_500);
      for (const id of ids) {
        const events = await journal(stateDir, id);
        const applied = events.find((e) => e.type === 'LimitsApplied' && e.when === 'change');
        expect(applied, id).toBeDefined();
        const after = events.filter((e) => e.time >= applied!.time);
        expect(
          after.filter((e) => e.type === 'OrderSubmitted'),
          id,
        ).toEqual([]);
        const denied = after.filter((e) => e.type === 'OrderDenied' && e.code === 'DESK_LIMIT');
        expect(denied.length, id).toBeGreaterThan(10);
        expect(denied[0]?.details).toMatchObject({
          scope: 'desk:fx',
          rule: 'maxPosition',
          limit: 20,
        });
      }
      await backend.cleanup?.(namespace);
    }, 60_000);
  },
);

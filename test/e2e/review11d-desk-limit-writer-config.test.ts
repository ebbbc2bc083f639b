// Review 11d: a desk limit's first override is judged against the writer's config only. Two engines
// of desk fx run under their config's desk maxPosition of 20 (held: DESK_LIMIT); an operator on a
// host whose config has no desk fx writes `limits set desks.fx.maxPosition=5000` without --loosen.
// It is taken for a tightening (no limit -> 5000), the engines confirm it, and they buy far past
// the 20 they were held to: a loosening of a desk limit by 250x that needed no admin.
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

type Entry = JournalEntry & { readonly code?: string; readonly position?: number };

async function journal(stateDir: string, id: string): Promise<Entry[]> {
  return (await readJournal(path.join(stateDir, 'journal', id)).catch(() => ({ events: [] })))
    .events;
}

function configText(stateDir: string, killSwitch: string, deskLimits: string | null): string {
  return [
    `stateDir: ${stateDir}`,
    `killSwitch: ${killSwitch}`,
    'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 40 } }',
    'strategy: { module: one-order-per-tick, options: { quantity: 1, side: buy } }',
    'engine: { heartbeatIntervalMs: 200 }',
    'http: { enabled: false }',
    ...(deskLimits === null ? [] : ['risk:', `  desks: { fx: ${deskLimits} }`]),
    '',
  ].join('\n');
}

describe.each(fleetBackends('review11d writer config', ['file', 'redis']))(
  'a desk limit first set from another config on $name',
  (backend) => {
    it('keeps each engine within its own desk maxPosition unless the change was made with --loosen', async (context) => {
      assertBuilt();
      if (!(await backend.available())) {
        context.skip();
        return;
      }
      const namespace = uniqueNamespace('rev11d-writer');
      const directory = await scratchDirectory(`livegate-rev11d-writer-${backend.name}-`);
      const stateDir = path.join(directory, 'state');
      const engineConfig = path.join(directory, 'engine.yaml');
      const writerConfig = path.join(directory, 'writer.yaml');
      const killSwitch = backend.killSwitch(namespace);
      await writeFile(engineConfig, configText(stateDir, killSwitch, '{ maxPosition: 20 }'));
      await writeFile(writerConfig, configText(stateDir, killSwitch, null));
      if (backend.needsInit) {
        const init = await runCli(['init', '--config', engineConfig, '--reason', 'test']);
        expect(init.code, init.stderr).toBe(0);
      }
      const ids = ['rev11d-writer-a', 'rev11d-writer-b'];
      for (const id of ids) {
        running.push(
          startCli(['run', '--config', engineConfig, '--engine-id', id, '--desk', 'fx']),
        );
      }
      // Held by their config: the desk is at 20 and new buys are denied DESK_LIMIT.
      await waitFor(
        'both engines denied DESK_LIMIT',
        async () => {
          const all = await Promise.all(ids.map((id) => journal(stateDir, id)));
          return (
            all.every((events) =>
              events.some((e) => e.type === 'OrderDenied' && e.code === 'DESK_LIMIT'),
            ) || undefined
          );
        },
        30_000,
      );
      const deskPosition = async () => {
        const last = await Promise.all(
          ids.map(
            async (id) =>
              (await journal(stateDir, id)).filter((e) => e.type === 'OrderFilled').at(-1)
                ?.position ?? 0,
          ),
        );
        return last.reduce((sum, position) => sum + position, 0);
      };
      // The two engines' views lag each other by a listing: the desk may sit a little past 20.
      const before = await deskPosition();
      const set = await runCli([
        'limits',
        'set',
        'desks.fx.maxPosition=5000',
        '--config',
        writerConfig,
        '--reason',
        'a cap for desk fx',
        '--by',
        'operator',
      ]);
      await delay(1_500);
      const after = await deskPosition();
      // Refused as a loosening (exit 2), or taken but nothing past the engines' own limit goes out.
      expect({ setCode: set.code, before, after }).toEqual({
        setCode: set.code,
        before,
        after: before,
      });
      await backend.cleanup?.(namespace);
    }, 60_000);
  },
);

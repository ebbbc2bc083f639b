// Review 11d: the live twin of review11-desk-name-case. An engine under `--desk fx` (config
// `risk.desks.fx`) refuses `--desk FX` at start, yet `limits set desks.FX.maxPosition=5` while
// desk fx trades is written as a tightening, every engine "enforces revision 1", set exits 0,
// and desk fx keeps buying: a one-letter slip confirms a desk limit that holds nothing.
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

type Entry = JournalEntry & { readonly position?: number; readonly when?: string };

async function journal(stateDir: string, id: string): Promise<Entry[]> {
  return (await readJournal(path.join(stateDir, 'journal', id)).catch(() => ({ events: [] })))
    .events;
}

describe.each(fleetBackends('review11d desk case', ['file', 'redis']))(
  'a live desk limit for a desk that differs only by case on $name',
  (backend) => {
    it('is refused, or holds the running desk to it', async (context) => {
      assertBuilt();
      if (!(await backend.available())) {
        context.skip();
        return;
      }
      const namespace = uniqueNamespace('rev11d-case');
      const directory = await scratchDirectory(`livegate-rev11d-case-${backend.name}-`);
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
          '',
        ].join('\n'),
      );
      if (backend.needsInit) {
        const init = await runCli(['init', '--config', config, '--reason', 'test']);
        expect(init.code, init.stderr).toBe(0);
      }
      const id = 'rev11d-case';
      running.push(startCli(['run', '--config', config, '--engine-id', id, '--desk', 'fx']));
      const position = async () =>
        (await journal(stateDir, id)).filter((e) => e.type === 'OrderFilled').at(-1)?.position ?? 0;
      await waitFor(
        'the engine past 10',
        async () => (await position()) >= 10 || undefined,
        30_000,
      );
      const set = await runCli([
        'limits',
        'set',
        'desks.FX.maxPosition=5',
        '--config',
        config,
        '--reason',
        'stop desk fx buying',
        '--by',
        'operator',
      ]);
      await delay(1_500);
      const events = await journal(stateDir, id);
      const applied = events.find((e) => e.type === 'LimitsApplied' && e.when === 'change');
      const submittedAfter =
        applied === undefined
          ? 0
          : events.filter((e) => e.type === 'OrderSubmitted' && e.time >= applied.time).length;
      const outcome = { setCode: set.code, submittedAfter };
      expect(outcome.setCode !== 0 || outcome.submittedAfter === 0, JSON.stringify(outcome)).toBe(
        true,
      );
      await backend.cleanup?.(namespace);
    }, 60_000);
  },
);

// Review 11d: one desk override that is valid over the writer's config but not over an engine's
// blocks every later revision on that engine, since each revision carries every override. Here
// an admin sets desks.fx.orderRate.windowMs=2000 (--loosen) from a config whose desk fx has an
// orderRate limit; the engine's desk fx has none, so {windowMs} alone fails its schema (a field it
// does not even enforce: the order rate is the guard's). Then an emergency
// `limits set desks.fx.maxPosition=20` never applies on that engine: it keeps buying.
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

type Entry = JournalEntry & { readonly position?: number };

async function journal(stateDir: string, id: string): Promise<Entry[]> {
  return (await readJournal(path.join(stateDir, 'journal', id)).catch(() => ({ events: [] })))
    .events;
}

function configText(stateDir: string, killSwitch: string, desk: string): string {
  return [
    `stateDir: ${stateDir}`,
    `killSwitch: ${killSwitch}`,
    'feed: { kind: synthetic, synthetic: { symbols: [EURUSD], rate: 40 } }',
    'strategy: { module: one-order-per-tick, options: { quantity: 1, side: buy } }',
    'engine: { heartbeatIntervalMs: 200 }',
    'http: { enabled: false }',
    'risk:',
    `  desks: { fx: ${desk} }`,
    '',
  ].join('\n');
}

describe.each(fleetBackends('review11d poisoned override', ['file', 'redis']))(
  'a desk override one engine cannot apply on $name',
  (backend) => {
    it('applies a later tightening on an engine that could not apply an earlier override', async (context) => {
      assertBuilt();
      if (!(await backend.available())) {
        context.skip();
        return;
      }
      const namespace = uniqueNamespace('rev11d-poison');
      const directory = await scratchDirectory(`livegate-rev11d-poison-${backend.name}-`);
      const stateDir = path.join(directory, 'state');
      const engineConfig = path.join(directory, 'engine.yaml');
      const writerConfig = path.join(directory, 'writer.yaml');
      const killSwitch = backend.killSwitch(namespace);
      await writeFile(engineConfig, configText(stateDir, killSwitch, '{ maxPosition: 100000 }'));
      await writeFile(
        writerConfig,
        configText(stateDir, killSwitch, '{ maxPosition: 100000, orderRate: { limit: 50 } }'),
      );
      if (backend.needsInit) {
        const init = await runCli(['init', '--config', engineConfig, '--reason', 'test']);
        expect(init.code, init.stderr).toBe(0);
      }
      const id = 'rev11d-poison';
      running.push(startCli(['run', '--config', engineConfig, '--engine-id', id, '--desk', 'fx']));
      await waitFor(
        'the engine past 30',
        async () =>
          ((await journal(stateDir, id)).filter((e) => e.type === 'OrderFilled').at(-1)?.position ??
            0) >= 30 || undefined,
        30_000,
      );
      const limitsSet = (assignment: string, ...flags: string[]) =>
        runCli([
          'limits',
          'set',
          assignment,
          ...flags,
          '--config',
          writerConfig,
          '--reason',
          'test',
          '--by',
          'admin',
          '--timeout',
          '1500',
        ]);
      // Whatever becomes of this one (refused, or applied), it must not block the next.
      await limitsSet('desks.fx.orderRate.windowMs=2000', '--loosen');
      await limitsSet('desks.fx.maxPosition=20');
      // Past the engine's poll: from here on desk fx (this engine alone, far past 20) buys nothing.
      const from = Date.now();
      await delay(1_000);
      const submitted = (await journal(stateDir, id)).filter(
        (e) => e.type === 'OrderSubmitted' && e.time >= from,
      ).length;
      expect(submitted).toBe(0);
      await backend.cleanup?.(namespace);
    }, 60_000);
  },
);

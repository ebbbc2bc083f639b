// The shipped alert rules against the real thing: Debian's Prometheus scrapes a running
// `livegate run` every second, and LivegateKillSwitchEngaged fires after `livegate kill`.

import { afterEach, describe, expect, it } from 'vitest';
import { requireTool, skipWithout } from '../support/prometheus-tools.js';
import { startPrometheus } from '../support/prometheus-server.js';
import {
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
  type RunningCli,
} from '../support/cli-harness.js';

const RULES = 'deploy/prometheus/livegate-rules.yml';
const ENGAGED_ALERT = 'LivegateKillSwitchEngaged';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function startEngine(stateDir: string): RunningCli {
  const engine = startCli([
    'run',
    '--state-dir',
    stateDir,
    '--engine-id',
    'prometheus-engine',
    '--strategy',
    'one-order-per-tick',
    '--rate',
    '200',
    '--ticks',
    '0',
    '--http',
    '127.0.0.1:0',
  ]);
  cleanups.push(async () => {
    engine.child.kill('SIGKILL');
    await engine.exited;
  });
  return engine;
}

async function metricsTargetOf(engine: RunningCli): Promise<string> {
  return waitFor('the console address on stderr', () => {
    const match = /console and control API on http:\/\/(127\.0\.0\.1:\d+)\//.exec(engine.stderr());
    return match?.[1];
  });
}

describe('deploy/prometheus/livegate-rules.yml on a real Prometheus', () => {
  const noPrometheus = skipWithout('prometheus', 'the Prometheus alert e2e test');

  it.skipIf(noPrometheus)(
    'fires LivegateKillSwitchEngaged for a scraped engine after livegate kill, and not before',
    async () => {
      requireTool('prometheus');
      const stateDir = await scratchDirectory();
      const engine = startEngine(stateDir);
      const target = await metricsTargetOf(engine);
      const prometheus = await startPrometheus({ target, job: 'livegate', ruleFiles: [RULES] });
      cleanups.push(() => prometheus.server.dispose());
      const { alerts, targets, rules, query } = prometheus;

      // Scraped, SAFE in Prometheus, the rules evaluated since: nothing is firing.
      await waitFor(
        'Prometheus to scrape the engine',
        async () => (await targets()).some((scrape) => scrape.health === 'up'),
        20_000,
      );
      await waitFor(
        'the SAFE switch in Prometheus',
        async () => (await query('livegate_kill_switch_state{state="SAFE"} == 1')).length === 1,
        20_000,
      );
      const sawSafe = Date.now();
      await waitFor(
        'an evaluation of the rules after that',
        async () =>
          (await rules()).every(
            (rule) => rule.health === 'ok' && Date.parse(rule.lastEvaluation) > sawSafe,
          ),
        20_000,
      );
      expect((await alerts()).map((alert) => alert.labels.alertname)).not.toContain(ENGAGED_ALERT);

      const kill = await runCli(['kill', '--state-dir', stateDir, '--reason', 'prometheus e2e']);
      expect(kill.code, kill.stderr).toBe(0);

      const fired = await waitFor(
        `${ENGAGED_ALERT} firing`,
        async () =>
          (await alerts()).find(
            (alert) => alert.labels.alertname === ENGAGED_ALERT && alert.state === 'firing',
          ),
        20_000,
      );
      expect(fired.labels).toMatchObject({
        job: 'livegate',
        instance: target,
        state: 'ENGAGED',
        severity: 'critical',
      });
      expect(fired.annotations.summary).toBe(`livegate ${target}: kill switch ENGAGED`);
      // The engine confirmed the kill, so the not-confirmed alert has nothing to say.
      expect((await alerts()).map((alert) => alert.labels.alertname)).not.toContain(
        'LivegateKillNotConfirmed',
      );
    },
    60_000,
  );
});

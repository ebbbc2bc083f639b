// How a run ended, said where an operator looks: the status line, stderr and the exit code. A run
// that ends ENGAGED by its own doing (failed closed, tripped itself) used to exit 0 with the reason
// only in the log file.

import type { RunSummary } from '../core/events.js';
import { failClosedTrigger } from '../core/kill-switch-record.js';
import type { EnforcedKillSwitch } from '../killswitch/enforced-kill-switch.js';
import { EXIT_ENDED_ENGAGED, EXIT_OK } from './exit-codes.js';

/** Why the gates are closed, in a few words: `FAIL-CLOSED store-unreachable: …`, `ENGAGED (risk): …`. */
export function killSwitchDetail(killSwitch: EnforcedKillSwitch): string {
  const failure = killSwitch.failClosedReason;
  if (failure !== null) return `FAIL-CLOSED ${failClosedTrigger(failure.code)}: ${failure.message}`;
  const record = killSwitch.record;
  if (killSwitch.state === 'SAFE' || record === null) return killSwitch.state;
  return `${killSwitch.state} (${record.trigger}, by ${record.by}): ${record.reason}`;
}

/**
 * Exit 3 when the engine closed its own gates: it failed closed, or a record this engine wrote
 * (risk, strategy errors, journal, duplicate id) engaged it. An operator's kill is not a failure
 * of the run: exit 0, with the state on stderr.
 */
export function runOutcome(
  killSwitch: EnforcedKillSwitch,
  engineId: string,
): { exitCode: number; line: string | undefined } {
  if (killSwitch.state === 'SAFE') return { exitCode: EXIT_OK, line: undefined };
  const detail = killSwitchDetail(killSwitch);
  const record = killSwitch.record;
  const byItself =
    killSwitch.failClosedReason !== null ||
    (record !== null &&
      record.trigger !== 'signal' &&
      (record.by === engineId || record.by.startsWith(`${engineId}/`)));
  return byItself
    ? { exitCode: EXIT_ENDED_ENGAGED, line: `livegate: run ended ${detail}` }
    : { exitCode: EXIT_OK, line: `livegate: run ended with the kill switch ${detail}` };
}

/** The summary a person reads after Ctrl-C: microseconds, counts, the final state. */
export function formatRunSummary(summary: RunSummary, detail: string): string {
  const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;
  const count = (n: number) => n.toLocaleString('en-US');
  const latency = summary.latencyNs;
  const blocks = Object.entries(summary.blocks)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${count(n)}`);
  return [
    `run summary (${(summary.elapsedMs / 1000).toFixed(1)} s)`,
    `  kill switch   ${detail} (revision ${summary.revision})`,
    `  ticks         ${count(summary.ticks)} (${count(Math.round(summary.ticksPerSecond))}/s), ${count(summary.ticksBlocked)} blocked`,
    `  orders        ${count(summary.ordersSubmitted)} sent, ${count(summary.ordersDenied)} denied, ${count(summary.fills)} fills`,
    `  errors        strategy ${count(summary.strategyErrors)}, broker ${count(summary.brokerErrors)}`,
    `  tick→order    p50 ${us(latency.p50)}  p99 ${us(latency.p99)}  p99.9 ${us(latency.p999)}  max ${us(latency.max)}`,
    ...(blocks.length === 0 ? [] : [`  denials       ${blocks.join(', ')}`]),
    '',
  ].join('\n');
}

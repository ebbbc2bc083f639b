// An engine id names one process. A confirmed kill waits for the process behind each id, so a
// second process must not report under an id a live (perhaps hung) process still holds: its
// confirmation would be counted for the one that never applied the kill.

import { LivegateError } from '../core/errors.js';
import type { EngineReport } from '../core/kill-switch-record.js';
import type { KillSwitchStore } from '../core/ports.js';
import { describeProcess, processFate, type LocalProcesses } from '../core/process-identity.js';

export interface EngineIdClaimOptions {
  /**
   * How long to watch a report this process cannot judge (another host, pid namespace or boot)
   * for a change before taking its id over: a running holder reports within its heartbeat.
   */
  readonly observeMs: number;
  readonly local?: LocalProcesses;
  readonly pollIntervalMs?: number;
}

/** What was found under the id: nothing, a process known to be gone, or a silent unknown holder. */
export type EngineIdClaim =
  | { readonly kind: 'free' }
  | { readonly kind: 'replaced-gone'; readonly previous: EngineReport }
  | {
      readonly kind: 'replaced-silent';
      readonly previous: EngineReport;
      readonly silentMs: number;
    };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function reportOf(store: KillSwitchStore, engineId: string) {
  return (await store.listEngineReports()).find((report) => report.engineId === engineId);
}

function inUse(engineId: string, holder: EngineReport, how: string): LivegateError {
  const who = holder.unreadable === undefined ? describeProcess(holder) : 'a process';
  return new LivegateError(
    'ERR_ENGINE_ID_IN_USE',
    `engine id ${engineId} is in use by ${who} (${how}): stop that engine first (\`livegate status\` lists engines) or give this one another --engine-id`,
    { details: { engineId, host: holder.host, pid: holder.pid } },
  );
}

/**
 * Refuses (ERR_ENGINE_ID_IN_USE) when the id's report comes from a process that runs on this host,
 * or from one this process cannot see whose report still changes. A report that stays unchanged
 * for `observeMs` is taken over: its process crashed or is hung, and a hung one re-reads the
 * kill-switch state before any order once it wakes (the state lease), so it sends nothing after
 * a kill; it is, however, no longer waited for by name (docs/kill-switch.md).
 */
export async function claimEngineId(
  store: KillSwitchStore,
  engineId: string,
  options: EngineIdClaimOptions,
): Promise<EngineIdClaim> {
  const holder = await reportOf(store, engineId);
  if (holder === undefined) return { kind: 'free' };
  if (holder.unreadable === undefined) {
    const fate = processFate(holder, options.local);
    if (fate === 'gone') return { kind: 'replaced-gone', previous: holder };
    if (fate === 'running') throw inUse(engineId, holder, 'it runs on this host');
  }
  const pollIntervalMs = options.pollIntervalMs ?? Math.max(10, options.observeMs / 20);
  const started = performance.now();
  for (;;) {
    const silentMs = performance.now() - started;
    if (silentMs >= options.observeMs)
      return { kind: 'replaced-silent', previous: holder, silentMs };
    await sleep(pollIntervalMs);
    const latest = await reportOf(store, engineId);
    if (latest === undefined) return { kind: 'free' };
    if (latest.reportedAt !== holder.reportedAt || latest.unreadable !== holder.unreadable) {
      throw inUse(engineId, latest, 'its report changed while this engine started');
    }
  }
}

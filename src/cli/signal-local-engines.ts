// A kill that needs no disk: when the store cannot take the change (disk full, store down), signal
// every engine registered on this host; each engages at once (see kill-signal.ts). Only `kill` has
// this path: a signal carries no payload, and the safe reading of "stop" is the strictest one.

import os from 'node:os';
import type { EngineReport } from '../core/kill-switch-record.js';
import type { KillSwitchStore } from '../core/ports.js';
import { processExists, processStartedAt } from '../core/processes.js';
import { appliedRevision } from '../killswitch/confirmations.js';
import { EXIT_FAILURE } from './exit-codes.js';
import { KILL_SIGNAL } from './kill-signal.js';

/** btime has 1 s resolution, and the wall clock may have been stepped since the engine started. */
const START_TIME_TOLERANCE_MS = 2_000;

export interface SignalledEngine {
  readonly engineId: string;
  readonly pid: number;
}

export interface SkippedEngine extends SignalledEngine {
  readonly host: string;
  readonly why: string;
}

export interface LocalSignalResult {
  readonly signalled: readonly SignalledEngine[];
  readonly skipped: readonly SkippedEngine[];
}

/** What the signal path needs from the host; tests give fakes. */
export interface HostProcesses {
  readonly hostname: string;
  exists(pid: number): boolean;
  startedAt(pid: number): number | undefined;
  signal(pid: number): void;
}

const thisHost: HostProcesses = {
  hostname: os.hostname(),
  exists: processExists,
  startedAt: processStartedAt,
  signal: (pid) => process.kill(pid, KILL_SIGNAL),
};

/**
 * Signals every engine under `scope` whose report names this host and whose pid is still that
 * engine. A report's age does not matter: on a full disk no engine can refresh its report.
 */
export function signalLocalEngines(
  reports: readonly EngineReport[],
  scope: string,
  host: HostProcesses = thisHost,
): LocalSignalResult {
  const signalled: SignalledEngine[] = [];
  const skipped: SkippedEngine[] = [];
  for (const report of reports) {
    if (appliedRevision(report, scope) === undefined) continue;
    const { engineId, pid } = report;
    const why = notSignallable(report, host);
    if (why !== undefined) {
      skipped.push({ engineId, pid, host: report.host, why });
      continue;
    }
    try {
      host.signal(pid);
      signalled.push({ engineId, pid });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      skipped.push({ engineId, pid, host: report.host, why: `signal failed: ${code}` });
    }
  }
  return { signalled, skipped };
}

function notSignallable(report: EngineReport, host: HostProcesses): string | undefined {
  if (report.host !== host.hostname) return 'not on this host';
  if (!host.exists(report.pid)) return 'not running';
  // A pid reused by another program must not get a signal whose default action ends it.
  const startedAt = host.startedAt(report.pid);
  if (startedAt !== undefined && startedAt > Date.parse(report.startedAt) + START_TIME_TOLERANCE_MS)
    return 'pid reused by a process started after this engine';
  return undefined;
}

/**
 * `livegate kill` when the store rejected the change: signal the engines on this host, say which
 * path was taken, and exit 1 because nothing was confirmed through the store.
 */
export async function killWithoutStore(
  store: KillSwitchStore,
  scope: string,
  storeError: unknown,
  json: boolean,
): Promise<number> {
  const failure = codeAndMessage(storeError);
  let result: LocalSignalResult = { signalled: [], skipped: [] };
  let listError: string | undefined;
  try {
    // Reading works on a full disk: the reports written before it filled are still there.
    result = signalLocalEngines(await store.listEngineReports(), scope);
  } catch (error) {
    listError = codeAndMessage(error);
  }
  if (json) {
    const output = {
      ok: false,
      path: 'signal',
      scope,
      durable: false,
      storeError: failure,
      signal: KILL_SIGNAL,
      ...result,
      ...(listError === undefined ? {} : { listError }),
    };
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  } else {
    process.stdout.write(`${humanReport(scope, failure, result, listError).join('\n')}\n`);
  }
  process.stderr.write(
    `livegate: ${failure}\nlivegate: the kill is NOT durable; ${result.signalled.length} engine(s) on this host signalled with ${KILL_SIGNAL}\n`,
  );
  return EXIT_FAILURE;
}

function humanReport(
  scope: string,
  failure: string,
  result: LocalSignalResult,
  listError: string | undefined,
): string[] {
  const { signalled, skipped } = result;
  const lines = [`store unwritable (${failure})`];
  if (listError !== undefined) {
    lines.push(`the engines cannot be listed either (${listError}): no engine was signalled`);
  } else if (signalled.length === 0) {
    lines.push(`no running engine under ${scope} on this host to signal`);
  } else {
    lines.push(
      `signalled ${signalled.length} engine(s) on this host with ${KILL_SIGNAL}; each engages at once (trigger signal, scope engine:<id>):`,
    );
  }
  for (const engine of signalled) lines.push(`  signalled  ${engine.engineId} pid ${engine.pid}`);
  for (const engine of skipped) {
    lines.push(
      `  skipped    ${engine.engineId} pid ${engine.pid} on ${engine.host}: ${engine.why}`,
    );
  }
  lines.push(
    'the change is NOT in the store: engines engage locally and write it when the disk allows;',
    'run `livegate kill` again once the store can be written, then check `livegate status`',
  );
  return lines;
}

/** `CODE: message` for our errors, the message for anything else. */
function codeAndMessage(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

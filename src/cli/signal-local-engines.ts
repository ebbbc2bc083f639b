// A kill that needs no disk: when the store cannot take the change (disk full, store down), signal
// every engine registered on this host; each engages at once (see kill-signal.ts). Only `kill` has
// this path: a signal carries no payload, and the safe reading of "stop" is the strictest one.

import type { EngineReport } from '../core/kill-switch-record.js';
import type { KillSwitchStore } from '../core/ports.js';
import {
  processFate,
  sameProcess,
  thisHostProcesses,
  type LocalProcesses,
  type ProcessIdentity,
} from '../core/process-identity.js';
import { appliedRevision } from '../killswitch/confirmations.js';
import {
  localRegistryDirectory,
  registrationReport,
  type LocalEngineRegistration,
} from '../killswitch/local-engine-registry.js';
import { EXIT_FAILURE } from './exit-codes.js';
import { KILL_SIGNAL } from './kill-signal.js';
import { formatVenueOutcome } from './venue-kill-step.js';
import type { VenueKillOutcome } from './venue-receipt-file.js';

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
export interface HostProcesses extends LocalProcesses {
  signal(pid: number): void;
}

const thisHost: HostProcesses = {
  hostname: thisHostProcesses.hostname,
  get own(): ProcessIdentity | undefined {
    return thisHostProcesses.own;
  },
  exists: (pid) => thisHostProcesses.exists(pid),
  startTicks: (pid) => thisHostProcesses.startTicks(pid),
  signal: (pid) => process.kill(pid, KILL_SIGNAL),
};

/**
 * Signals every engine under `scope` whose report names a process this one can see (same host,
 * boot and pid namespace) and that still runs with the start time the engine reported, so a
 * reused pid is never signalled. A report's age does not matter: on a full disk no engine can
 * refresh its report.
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
  switch (processFate(report, host)) {
    case 'running':
      return undefined;
    case 'gone':
      // A pid reused by another program must not get a signal whose default action ends it.
      return host.exists(report.pid) ? 'pid reused by a later process' : 'not running';
    case 'earlier-boot': // never signalled: the pid may now be any process of this boot
    case 'not-visible':
      return report.process === undefined
        ? 'its report has no process identity (an older livegate or another system): cannot tell it from a reused pid'
        : 'in another pid namespace or kernel boot of this host name: its pid is not ours to signal';
  }
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
  registeredHere: readonly LocalEngineRegistration[] = [],
  venueStep?: Promise<VenueKillOutcome>,
): Promise<number> {
  const failure = codeAndMessage(storeError);
  let listed: EngineReport[] = [];
  let listError: string | undefined;
  try {
    // Reading works on a full disk: the reports written before it filled are still there.
    listed = await store.listEngineReports();
  } catch (error) {
    // A store that is down cannot list either: this host's registry still names its engines.
    listError = codeAndMessage(error);
  }
  const unlisted = registeredHere.filter(
    (registered) => !listed.some((report) => sameProcess(report, registered)),
  );
  const result = signalLocalEngines([...listed, ...unlisted.map(registrationReport)], scope);
  const venues = await venueStep;
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
      ...(venues === undefined ? {} : { venues }),
    };
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  } else {
    const lines = humanReport(scope, failure, result, listError);
    if (venues !== undefined) lines.push(...formatVenueOutcome(venues));
    process.stdout.write(`${lines.join('\n')}\n`);
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
    lines.push(
      `the engines cannot be listed either (${listError}): only those registered on this host (${localRegistryDirectory()}) are signalled`,
    );
  }
  if (signalled.length === 0) {
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
    'the change is NOT in the store: signalled engines engage locally and write it when the store allows;',
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

// `livegate kill | reduce | reset`: make the change durable, then wait for every running engine to confirm it.

import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { auditTextProblem, MAX_BY_LENGTH, MAX_REASON_LENGTH } from '../core/audit-text.js';
import { systemClock } from '../core/clock.js';
import { isPrimaryOnlyWrite, LivegateError } from '../core/errors.js';
import type { KillSwitchRecord } from '../core/kill-switch-record.js';
import type { KillSwitchStore, KillSwitchUpdateResult } from '../core/ports.js';
import { messageOf } from '../core/message-of.js';
import { createSharedKillSwitchStore } from '../adapters/kill-switch-store-factory.js';
import {
  awaitConfirmations,
  type ConfirmationResult,
  type MissingConfirmation,
} from '../killswitch/confirmations.js';
import {
  engageDecision,
  reduceDecision,
  resetDecision,
  type Decision,
} from '../killswitch/transitions.js';
import { GLOBAL_SCOPE, isScopeName } from '../core/scopes.js';
import { addCommonOptions, resolveConfigForChange, type CommonOptions } from './command-options.js';
import { topSection, VENUE_SECTIONS } from '../config/config-constants.js';
import type { ConfigIssue, LivegateConfig } from '../config/schema.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { noStateHere } from './no-state-here.js';
import { reportPrimaryOnly } from './report-primary-only.js';
import { killWithoutStore } from './signal-local-engines.js';
import { writeUntilDurable } from './write-until-durable.js';
import { formatVenueOutcome, runVenueStep } from './venue-kill-step.js';
import type { VenueKillOutcome } from './venue-receipt-file.js';
import {
  runningLocalEngines,
  storeIdentityOf,
  type LocalEngineRegistration,
} from '../killswitch/local-engine-registry.js';

export type ChangeKind = 'kill' | 'reduce' | 'reset';

export interface ChangeOptions extends CommonOptions {
  readonly reason: string;
  readonly by?: string;
  readonly timeout?: string;
  readonly json?: boolean;
  readonly scope?: string;
  readonly createScope?: boolean;
  /** False with `--no-venues` (kill only). */
  readonly venues?: boolean;
}

const DESCRIPTIONS: Record<ChangeKind, string> = {
  kill: 'engage the kill switch (ENGAGED: nothing new passes) and wait for running engines to confirm; if the store cannot be written, signal the engines on this host',
  reduce: 'put the kill switch in REDUCING (only orders that shrink a position pass)',
  reset: 'release the kill switch back to SAFE (needs an operator name and a reason)',
};

export function registerChangeCommand(program: Command, kind: ChangeKind): void {
  const command = program.command(kind).description(DESCRIPTIONS[kind]);
  addCommonOptions(command)
    .requiredOption('-r, --reason <text>', 'why (required; recorded in the audit trail)')
    .option(
      '--timeout <ms>',
      'how long to retry the write while the store cannot answer, then how long to wait for running engines to confirm (default: killSwitch.confirmTimeoutMs)',
    )
    .option('--json', 'print the result as JSON')
    .option(
      '--scope <scope>',
      'global (default) | desk:<name> | engine:<id>: the engines under that scope obey',
      GLOBAL_SCOPE,
    )
    .option(
      '--create-scope',
      'arm a desk:/engine: scope that has no state yet and no running engine reports (for engines started later); without it kill/reduce exit 1 when no engine confirmed such a scope (a likely typo) and reset refuses it',
    );
  if (kind === 'kill') {
    command.option(
      '--no-venues',
      'do not go to the venues themselves (by default a kill also sends each configured venue its cancel-all and reads open orders back until none remain)',
    );
  }
  if (kind === 'reset') command.requiredOption('-b, --by <name>', 'operator name (required)');
  else command.option('-b, --by <name>', 'operator name (default: user@host)');
  command.action(async (options: ChangeOptions) => {
    process.exitCode = await runChange(kind, options);
  });
}

export async function runChange(kind: ChangeKind, options: ChangeOptions): Promise<number> {
  const { config, setAside } = await resolveConfigForChange(options);
  if (setAside.length > 0) process.stderr.write(`${describeSetAside(kind, setAside)}\n`);
  const invalidVenueConfig = venueProblems(setAside);
  const by = options.by ?? `${os.userInfo().username}@${os.hostname()}`;
  const timeoutMs = parseTimeout(options.timeout, config.killSwitch.confirmTimeoutMs);
  requireAuditText('--reason', options.reason, MAX_REASON_LENGTH);
  requireAuditText('--by', by, MAX_BY_LENGTH);
  const decision = decisionFor(kind, options.reason, by);
  const scope = options.scope ?? GLOBAL_SCOPE;
  if (!isScopeName(scope)) {
    throw new LivegateError(
      'ERR_USAGE',
      `--scope must be global, desk:<name> or engine:<id>, got "${scope}"`,
    );
  }
  const store = await createSharedKillSwitchStore(config, scope);
  // One budget for the whole command: checking there is state to change, then writing it.
  const deadline = performance.now() + timeoutMs;
  try {
    // Engines of this host for this store, read once: they obey their scopes before their first
    // report, count as members of the confirmation, and are signalled when the store is down.
    const registered = await runningLocalEngines(storeIdentityOf(config));
    const { refusal, unobeyed } = await refuseWithoutState(
      kind,
      config,
      store,
      scope,
      options.createScope === true,
      registered,
      deadline,
    );
    if (refusal !== undefined) {
      process.stderr.write(`${refusal}\n`);
      return EXIT_FAILURE;
    }
    const issuedAt = systemClock.now();
    let result: KillSwitchUpdateResult;
    try {
      result = await writeUntilDurable(store, decision, {
        deadline,
        by,
        reason: options.reason,
        onRetry: (error, remainingMs) =>
          process.stderr.write(
            `livegate: waiting for ${store.name} to take the ${kind} (retrying for ${Math.round(remainingMs)} ms more): ${error instanceof Error ? error.message : String(error)}\n`,
          ),
      });
    } catch (error) {
      if (isPrimaryOnlyWrite(error)) {
        return reportPrimaryOnly(kind, store.name, scope, error, options.json === true);
      }
      // Not durable (disk full, store down): a kill still reaches this host's engines by signal,
      // and the market itself.
      if (kind === 'kill') {
        const venues = venueStep(config, options, issuedAt, timeoutMs, invalidVenueConfig);
        return await killWithoutStore(
          store,
          scope,
          error,
          options.json === true,
          registered,
          venues,
        );
      }
      throw error;
    }
    const acknowledgedAt = systemClock.now();
    // The market is reached while the engines confirm: a hung engine must not delay the cancel.
    const venues =
      kind === 'kill'
        ? venueStep(config, options, acknowledgedAt, timeoutMs, invalidVenueConfig)
        : undefined;
    const confirmations = await awaitConfirmations(store, result.record.revision, {
      timeoutMs,
      expectedState: kind === 'reduce' ? 'REDUCING' : result.record.state,
      issuedAt,
      acknowledgedAt,
      scope,
      registeredHere: registered,
    });
    const venueOutcome = await venues;
    const confirmed = confirmations.missing.length === 0;
    const ok = confirmed && (venueOutcome?.ok ?? true);
    const output = {
      ok,
      path: 'store',
      store: store.name,
      scope,
      changed: result.changed,
      record: result.record,
      issuedAt: new Date(issuedAt).toISOString(),
      durableAt: new Date(acknowledgedAt).toISOString(),
      durableAfterMs: acknowledgedAt - issuedAt,
      ...(result.repairedFrom === undefined ? {} : { repairedFrom: result.repairedFrom }),
      confirmations,
      ...(venueOutcome === undefined ? {} : { venues: venueOutcome }),
    };
    if (options.json === true) process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    else
      process.stdout.write(
        formatChange(store.name, scope, result, confirmations, acknowledgedAt - issuedAt) +
          (venueOutcome === undefined ? '' : `${formatVenueOutcome(venueOutcome).join('\n')}\n`),
      );
    if (!confirmed)
      process.stderr.write(`${describeUnconfirmed(kind, timeoutMs, confirmations)}\n`);
    if (venueOutcome?.ok === false)
      process.stderr.write(`${describeVenuesUnconfirmed(venueOutcome)}\n`);
    if (!ok) return EXIT_FAILURE;
    if (unobeyed !== undefined && confirmations.confirmed.length === 0) {
      // Written (an engine still connecting obeys it), but nobody confirmed: maybe a typo.
      process.stderr.write(`${unobeyed}\n`);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  } finally {
    await store.close();
  }
}

/**
 * Nothing but `init` and a reset creates state, and a reset only where engines are registered: a
 * command pointed at the wrong directory or namespace must fail loudly, not create an empty store
 * there and report that no engine needed stopping.
 */
async function refuseWithoutState(
  kind: ChangeKind,
  config: LivegateConfig,
  store: KillSwitchStore,
  scope: string,
  createScope: boolean,
  registered: readonly LocalEngineRegistration[],
  deadline: number,
): Promise<{ refusal?: string; unobeyed?: string }> {
  let record: KillSwitchRecord | null;
  try {
    record = await store.read();
  } catch {
    // Unreadable: written over (the repair). Unreachable: the write fails too, and a kill then
    // takes its same-host fallback.
    return {};
  }
  if (record !== null) return {};
  // Narrower scopes are written on demand under an existing global state, for engines that obey
  // them. One no engine reports is most likely a typo: a reset there is refused; a kill or reduce
  // is still written (an engine that has not published its first report yet obeys it) and exits 1
  // unless someone confirmed it.
  if (scope !== GLOBAL_SCOPE && (await globalStateExists(config))) {
    if (createScope) return {};
    const unknown = await unknownScope(kind, store, scope, registered);
    if (unknown === undefined) return {};
    return kind === 'reset' ? { refusal: unknown } : { unobeyed: unknown };
  }
  const engines = await countEnginesUntil(store, deadline);
  if (engines instanceof Error) {
    // A store that answered "no state" and then cannot list is mid-restart, not empty: read again.
    if (performance.now() < deadline)
      return refuseWithoutState(kind, config, store, scope, createScope, registered, deadline);
    if (kind !== 'reset') return {}; // A kill that may be needless beats one refused by mistake.
    return {
      refusal: `livegate reset: ${store.name} has no state and its engines cannot be listed (${messageOf(engines)}): refused, as a reset only creates state where engines run. Try again when the store answers.`,
    };
  }
  if (kind === 'reset' && engines > 0) return {};
  return { refusal: noStateHere(config, store.name, engines) };
}

/** Between listings of a store that could not list its engines. */
const LIST_RETRY_MS = 200;

/** How many engines report to `store`, asked again until `deadline` while it cannot answer. */
async function countEnginesUntil(
  store: KillSwitchStore,
  deadline: number,
): Promise<number | Error> {
  for (;;) {
    try {
      return (await store.listEngineReports()).length;
    } catch (error) {
      const remainingMs = deadline - performance.now();
      if (remainingMs <= 0) return error instanceof Error ? error : new Error(String(error));
      process.stderr.write(
        `livegate: ${store.name} cannot list its engines (retrying for ${Math.round(remainingMs)} ms more): ${messageOf(error)}\n`,
      );
      await delay(Math.min(LIST_RETRY_MS, remainingMs));
    }
  }
}

/** A never-written scope that no registered engine reports: refused, naming the scopes that are. */
async function unknownScope(
  kind: ChangeKind,
  store: KillSwitchStore,
  scope: string,
  registered: readonly LocalEngineRegistration[],
): Promise<string | undefined> {
  let reports;
  try {
    reports = await store.listEngineReports();
  } catch {
    return undefined; // Cannot tell: a kill that may be needless beats one refused by mistake.
  }
  const obeyed = new Set<string>();
  for (const report of reports)
    for (const name of Object.keys(report.scopes ?? {})) obeyed.add(name);
  // An engine of this host that has not published its first report yet (its venue is still
  // connecting) obeys its scopes already: its registration says which.
  for (const engine of registered) for (const name of engine.scopes) obeyed.add(name);
  if (obeyed.has(scope)) return undefined;
  const known = [...obeyed].sort();
  const what =
    kind === 'reset'
      ? `livegate reset: scope ${scope} has no state and no running engine reports it: refused (a typo?).`
      : `livegate ${kind}: scope ${scope} had no state and no running engine reported it: written, but no engine confirmed it (a typo? an engine still starting obeys it once it reads it).`;
  return [
    what,
    known.length === 0
      ? 'No running engine reports any scope.'
      : `Scopes running engines obey: ${known.join(', ')}.`,
    `--create-scope writes a scope for engines that will start under it, without this exit 1.`,
  ].join('\n');
}

async function globalStateExists(config: LivegateConfig): Promise<boolean> {
  const global = await createSharedKillSwitchStore(config, GLOBAL_SCOPE);
  try {
    return (await global.read()) !== null;
  } catch {
    return true; // Unreadable is not missing.
  } finally {
    await global.close();
  }
}

function decisionFor(kind: ChangeKind, reason: string, by: string): Decision {
  switch (kind) {
    case 'kill':
      return engageDecision(reason, by, 'manual');
    case 'reduce':
      return reduceDecision(reason, by, 'manual');
    case 'reset':
      return resetDecision(reason, by);
  }
}

/** The same rule as the HTTP API's body: a person's text is refused, not silently rewritten. */
export function requireAuditText(flag: string, text: string, maxLength: number): void {
  const problem = auditTextProblem(text, maxLength);
  if (problem !== null) throw new LivegateError('ERR_USAGE', `${flag} ${problem}`);
}

function parseTimeout(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new LivegateError(
      'ERR_USAGE',
      `--timeout must be a number of milliseconds >= 0, got "${text}"`,
    );
  }
  return value;
}

function formatChange(
  storeName: string,
  scope: string,
  result: KillSwitchUpdateResult,
  confirmations: ConfirmationResult,
  durableAfterMs: number,
): string {
  const { record, changed, repairedFrom } = result;
  const lines: string[] = [];
  if (repairedFrom !== undefined)
    lines.push(`state was unreadable; kept it aside at ${repairedFrom}`);
  lines.push(
    `${scope === GLOBAL_SCOPE ? '' : `${scope}: `}${record.state} at revision ${record.revision} on ${storeName} (${changed ? `durable in ${durableAfterMs.toFixed(1)} ms` : 'already in force, nothing written'})`,
    `  by ${record.by}, trigger ${record.trigger}, at ${record.at}: ${record.reason}`,
  );
  const members =
    confirmations.confirmed.length + confirmations.missing.length + confirmations.departed.length;
  if (members === 0)
    lines.push(
      scope === GLOBAL_SCOPE
        ? 'no engines registered on this store'
        : `no engines registered under ${scope}`,
    );
  else
    lines.push(
      `confirmed by ${confirmations.confirmed.length}/${members - confirmations.departed.length} engines registered when it was written:`,
    );
  for (const engine of confirmations.confirmed) {
    const timing =
      engine.latencyMs < 0
        ? `${engine.sinceIssuedMs.toFixed(2)} ms after the command started, before the write was acknowledged`
        : `${engine.latencyMs.toFixed(2)} ms after the write was acknowledged`;
    lines.push(
      `  ok       ${engine.engineId} pid ${engine.pid} enforcing ${engine.enforcedState} (${timing})`,
    );
  }
  for (const engine of confirmations.missing) lines.push(`  MISSING  ${describeMissing(engine)}`);
  for (const engine of confirmations.departed) {
    lines.push(
      `  gone     ${engine.engineId} pid ${engine.pid} (${engine.how === 'stopped' ? 'stopped and deregistered' : 'its process exited'} during the wait)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function describeMissing(engine: MissingConfirmation): string {
  const unchanged = `report unchanged for ${Math.round(engine.unchangedForMs)} ms`;
  switch (engine.reason) {
    case 'unreadable':
      return `${engine.engineId}: its report cannot be read (${engine.problem ?? 'unknown problem'}); it is registered, so it counts as unconfirmed`;
    case 'not-enforced':
      return `${engine.engineId} pid ${engine.pid} applied revision ${engine.observedRevision} but still enforces ${engine.enforcedState}${engine.failClosed ? ' (fail-closed latch)' : ' (another scope holds it)'}`;
    case 'replaced':
      return `${engine.engineId} pid ${engine.pid} on ${engine.host}: ${engine.problem ?? 'another process took its engine id'}; it never confirmed`;
    case 'unreported':
      return `${engine.engineId} pid ${engine.pid} on ${engine.host}: ${engine.problem ?? 'no report in the store'}`;
    case 'not-applied':
      return `${engine.engineId} pid ${engine.pid} still at revision ${engine.observedRevision}, enforcing ${engine.enforcedState} (${unchanged}: hung, partitioned or slow)`;
  }
}

function venueStep(
  config: LivegateConfig,
  options: ChangeOptions,
  killWrittenAt: number,
  timeoutMs: number,
  invalidVenueConfig: string | undefined,
): Promise<VenueKillOutcome> {
  return runVenueStep(config, {
    skip: options.venues === false,
    killWrittenAt,
    timeoutMs,
    scope: options.scope ?? GLOBAL_SCOPE,
    ...(invalidVenueConfig === undefined ? {} : { invalidVenueConfig }),
  });
}

/** The change goes ahead; the operator still hears, once, what `run` would refuse. */
function describeSetAside(kind: ChangeKind, issues: readonly ConfigIssue[]): string {
  const sections = [...new Set(issues.map((issue) => topSection(issue.path)))].join(', ');
  return [
    `livegate ${kind}: the configuration is invalid outside the kill switch's store (${sections}); the ${kind} goes ahead without ${issues.length === 1 ? 'that section' : 'those sections'} (livegate run refuses this config until it is fixed):`,
    ...issues.map((issue) => `  ${issue.path}: ${issue.message}`),
  ].join('\n');
}

/** The set-aside problems a kill's venue step was built from, one line; undefined when none. */
function venueProblems(issues: readonly ConfigIssue[]): string | undefined {
  const problems = issues.filter((issue) => VENUE_SECTIONS.has(topSection(issue.path)));
  if (problems.length === 0) return undefined;
  return problems.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
}

function describeVenuesUnconfirmed(outcome: VenueKillOutcome): string {
  const names = outcome.receipts
    .filter((receipt) => !receipt.confirmed)
    .map(
      (receipt) =>
        `${receipt.venue} (${receipt.problem ?? `${receipt.stillOpen.length} order(s) still open`})`,
    );
  return `livegate: ERR_VENUE_UNCONFIRMED: not confirmed flat at the market by: ${names.join(', ')}`;
}

function describeUnconfirmed(
  kind: ChangeKind,
  timeoutMs: number,
  confirmations: ConfirmationResult,
): string {
  const names = confirmations.missing.map((engine) => `${engine.engineId} (pid ${engine.pid})`);
  const what = kind === 'reset' ? 'released' : 'confirmed';
  return `livegate: ERR_CONFIRM_TIMEOUT: not ${what} within ${timeoutMs} ms by: ${names.join(', ')}`;
}

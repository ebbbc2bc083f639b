// Engines running on this host, written down outside the kill-switch store. A store that restarts
// empty loses every engine report; engines that still run report again within a heartbeat, but a
// hung one does not, and a kill confirmed against the new listing never named it. `kill` adds the
// engines registered here that the store does not list, so a hung one on this host is named.

import { mkdir, readdir, readFile, rename, unlink, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LivegateConfig } from '../config/schema.js';
import type { EngineReport } from '../core/kill-switch-record.js';
import {
  ownProcessIdentity,
  processFate,
  thisHostProcesses,
  type LocalProcesses,
  type ProcessIdentity,
} from '../core/process-identity.js';
import {
  finite,
  integer,
  list,
  object,
  optional,
  text,
  type Problems,
  type Shape,
} from '../core/shape-check.js';

export interface LocalEngineRegistration {
  readonly engineId: string;
  /** Which store the engine obeys (see storeIdentityOf): only that store's `kill` counts it. */
  readonly store: string;
  readonly scopes: readonly string[];
  readonly host: string;
  readonly pid: number;
  readonly process?: ProcessIdentity;
  readonly startedAt: string;
}

/** Read without zod (`kill` checks it at every start); unknown keys are dropped, as z.object did. */
export const REGISTRATION_SHAPE: Shape = {
  engineId: text({ min: 1 }),
  store: text({ min: 1 }),
  scopes: list(text()),
  host: text(),
  pid: integer(1),
  process: optional(
    object({ bootId: text(), pidNamespace: text(), startTicks: finite() }, 'strip'),
  ),
  startedAt: text(),
};
const registrationCheck = object(REGISTRATION_SHAPE, 'strip');

/** A registration, or undefined when the file is half-written or foreign. */
export function checkRegistration(value: unknown): LocalEngineRegistration | undefined {
  const problems: Problems = [];
  const kept = registrationCheck(value, '', problems);
  return problems.length === 0 ? (kept as LocalEngineRegistration) : undefined;
}

/** Shared by every user on the host (sticky, like /tmp): operators often run `kill` as themselves. */
export function localRegistryDirectory(): string {
  return process.env['LIVEGATE_LOCAL_REGISTRY'] ?? path.join(os.tmpdir(), 'livegate-engines');
}

/**
 * The same store seen from two configs: the file store by its directory, the servers by kind and
 * namespace (engines and operators may name the servers differently: localhost, a cluster list).
 */
export function storeIdentityOf(config: LivegateConfig): string {
  const { killSwitch } = config;
  if (killSwitch.store === 'file') {
    return `file:${path.resolve(killSwitch.directory ?? config.stateDir)}`;
  }
  return `${killSwitch.store}:${killSwitch.namespace}`;
}

/** Writes this process's entry; returns the remover for a clean stop. Failure only loses the net. */
export async function registerLocalEngine(
  engine: Pick<LocalEngineRegistration, 'engineId' | 'store' | 'scopes'>,
  directory = localRegistryDirectory(),
): Promise<() => Promise<void>> {
  const identity = ownProcessIdentity();
  const entry: LocalEngineRegistration = {
    ...engine,
    host: os.hostname(),
    pid: process.pid,
    ...(identity === undefined ? {} : { process: identity }),
    startedAt: new Date().toISOString(),
  };
  await mkdir(directory, { recursive: true });
  await chmod(directory, 0o1777).catch(() => undefined); // someone else's directory: keep theirs
  await pruneGone(directory);
  const file = path.join(directory, entryFileName(entry));
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(entry), { mode: 0o644 });
  await rename(temporary, file);
  return () => unlink(file).catch(() => undefined);
}

/** Engines registered for `store` whose processes still run here. Unreadable entries are skipped. */
export async function runningLocalEngines(
  store: string,
  directory = localRegistryDirectory(),
  local: LocalProcesses = thisHostProcesses,
): Promise<LocalEngineRegistration[]> {
  const entries = await readEntries(directory);
  return entries.filter(
    (entry) => entry.store === store && processFate(entry, local) === 'running',
  );
}

async function readEntries(directory: string): Promise<LocalEngineRegistration[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return [];
  }
  const entries: LocalEngineRegistration[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    try {
      const parsed = checkRegistration(
        JSON.parse(await readFile(path.join(directory, name), 'utf8')),
      );
      if (parsed !== undefined) entries.push(parsed);
    } catch {
      // Half-written or foreign: it names no engine this command can wait for.
    }
  }
  return entries;
}

async function pruneGone(directory: string): Promise<void> {
  for (const entry of await readEntries(directory)) {
    if (processFate(entry) !== 'gone') continue;
    await unlink(path.join(directory, entryFileName(entry))).catch(() => undefined);
  }
}

/**
 * A registered engine shaped as a report that has applied nothing (revision 0 in each of its
 * scopes): a member that confirms nothing until a real report of its process does.
 */
export function registrationReport(registered: LocalEngineRegistration): EngineReport {
  return {
    engineId: registered.engineId,
    host: registered.host,
    pid: registered.pid,
    ...(registered.process === undefined ? {} : { process: registered.process }),
    startedAt: registered.startedAt,
    reportedAt: 0,
    observedRevision: 0,
    scopes: Object.fromEntries(registered.scopes.map((scope) => [scope, 0])),
    observedAt: 0,
    enforcedState: 'SAFE',
    failClosed: false,
    stats: {},
  };
}

/** Pid namespaces may share this directory (unshare, some containers): the pid alone collides. */
function entryFileName(entry: LocalEngineRegistration): string {
  const namespace = entry.process?.pidNamespace.replace(/\D/g, '') ?? '';
  return `${namespace}-${entry.pid}.json`;
}

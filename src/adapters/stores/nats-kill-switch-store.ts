// KillSwitchStore on NATS JetStream KV (server 2.9+): shared across hosts, gap-free, fail-closed.
/*
 * Design. One KV bucket per namespace (`<namespace>_killswitch`, history 1, allow_direct off);
 * key layout in nats-kill-switch-keys.ts. Revision keys are the truth and the audit trail:
 *
 *   state.<scope>.rev.<revision, 12 digits>   one record per revision, written once with kv.create
 *   state.<scope>.head                        copy of the latest record (a fast hint)
 *
 * Why not compare-and-set on the head alone, with the bucket's per-key history as the audit
 * trail: that history is capped (clients allow at most 64 values per key, and the per-key limit
 * evicts the oldest), so the trail would silently lose revisions. A key per revision is never
 * evicted, needs no 2.10 feature and no TTL.
 *
 * update(): read n, call decide, then kv.create(rev n+1), which fails when the key exists (the
 * stream's expected-last-subject-sequence 0). So exactly one writer gets each revision, on any
 * host, and a writer that dies at any instant holds nothing that blocks the next (no lock). The
 * loser re-reads and decides again (10 s deadline, then ERR_STATE_WRITE_FAILED). The winner then
 * moves the head forward by compare-and-set on its KV revision.
 *
 * read(): the head, then roll forward while rev n+1 exists (a writer may have died between its
 * create and the head). Anything that exists but cannot be parsed, validated or matched to its
 * key, and any deleted revision key, is ERR_STATE_UNREADABLE naming the key, never a guess. An
 * instance also fails closed when state it has seen disappears or goes backwards. Gets go to the
 * stream leader (allow_direct off): direct gets may be served by a lagging replica.
 *
 * Repair: an update over unreadable state shows decide the error and writes revision
 * max(every revision key ever written, highest this instance saw) + 1. An unreadable head is first
 * copied to state.<scope>.unreadable.<time>_<random> (reported as repairedFrom) and then replaced;
 * an unreadable revision key stays where it is, as the file store leaves an unreadable revision file.
 *
 * Durability is JetStream's: an acknowledged create is stored by the stream (replicated with R3 in
 * a cluster). A single server keeps it in its store directory and flushes it on its own schedule.
 *
 * watch() and failing closed when the server is unreachable: see nats-kill-switch-watch.ts. The
 * connection opens on first use; every call is bounded by requestTimeoutMs and rejects with
 * ERR_STORE_UNREACHABLE after it; the client reconnects forever.
 */
import { NatsLimitsStore } from './nats-limits-store.js';
import { hostname } from 'node:os';
import * as z from 'zod';
import { systemClock, type Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import type { EngineReport, KillSwitchRecord } from '../../core/kill-switch-record.js';
import type {
  KillSwitchStore,
  KillSwitchUpdateResult,
  KillSwitchWatcher,
} from '../../core/ports.js';
import { GLOBAL_SCOPE } from '../../core/scopes.js';
import { scopeNameSchema } from '../../core/scope-name-schema.js';
import { NatsEngineReports } from './nats-engine-reports.js';
import { NatsKillSwitchKeys } from './nats-kill-switch-keys.js';
import {
  readNatsHistory,
  readNatsState,
  unreadableState,
  type NatsState,
} from './nats-kill-switch-reader.js';
import { updateNatsKillSwitch, type Decide } from './nats-kill-switch-update.js';
import { NatsKillSwitchWatch } from './nats-kill-switch-watch.js';
import { isStreamNotFound, NatsKvConnection } from './nats-kv-connection.js';
import {
  describeRollback,
  regressionFrom,
  RevisionMark,
  vanished,
  type MarkPersistence,
} from './revision-mark.js';
import type { StampContext } from './stamp-kill-switch-record.js';
import { clockOptionSchema, invalidOptions } from './store-options-schema.js';

export interface NatsKillSwitchStoreOptions {
  /** `nats://HOST:PORT` (or `tls://`, or `HOST:PORT`); several for a cluster. */
  servers: string | string[];
  /** One KV bucket per deployment: `<namespace>_killswitch` (default `livegate`). */
  namespace?: string;
  /** Whose kill switch this instance reads and writes: `global`, `desk:fx`, `engine:abc`... */
  scope?: string;
  /** A watcher fails closed when the server has not answered for longer than this (default 1000). */
  failClosedAfterMs?: number;
  /** Fallback re-read period for watchers (default 250; at most failClosedAfterMs / 4 is used). */
  pollIntervalMs?: number;
  /** Longest wait for a connection and a reply before a call rejects (default 1000). */
  requestTimeoutMs?: number;
  /** Stream replicas when a write creates the bucket (default 1; 3 on a three-node cluster). */
  replicas?: number;
  clock?: Clock;
  /** Stamped into records (default os.hostname()). */
  host?: string;
  /** Stamped into records (default process.pid). */
  pid?: number;
}

/** A server the Node client can dial, parsed the way the client will (bare HOST:PORT means nats://). */
function serverUrl(server: string): URL | undefined {
  try {
    const url = new URL(server.includes('://') ? server : `nats://${server}`);
    const plain = url.pathname === '' || url.pathname === '/';
    return ['nats:', 'tls:'].includes(url.protocol) && url.hostname !== '' && plain
      ? url
      : undefined;
  } catch {
    return undefined;
  }
}

const serverSchema = z.string().refine((server) => serverUrl(server) !== undefined, {
  message: 'expected nats://HOST:PORT, tls://HOST:PORT or HOST:PORT',
});

const optionsSchema = z.strictObject({
  servers: z.union([serverSchema.transform((server) => [server]), z.array(serverSchema).min(1)]),
  // It becomes part of a bucket name, which allows only [-_A-Za-z0-9].
  namespace: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (at most 64)')
    .default('livegate'),
  scope: scopeNameSchema.default(GLOBAL_SCOPE),
  failClosedAfterMs: z.int().min(50).max(600_000).default(1000),
  pollIntervalMs: z.int().min(10).max(60_000).default(250),
  requestTimeoutMs: z.int().min(10).max(60_000).default(1000),
  // Used only by a write that creates the bucket (init, the first reset): 3 on a 3-node cluster.
  replicas: z.int().min(1).max(5).default(1),
  clock: clockOptionSchema.optional(),
  host: z.string().min(1).optional(),
  pid: z.int().min(0).optional(),
});

/** The server as shown in names and messages: never with a user name or password. */
function displayServer(server: string): string {
  const url = serverUrl(server);
  if (url === undefined || (url.username === '' && url.password === '')) return server;
  return `${url.protocol}//${url.host}`;
}

export class NatsKillSwitchStore implements KillSwitchStore {
  readonly name: string;
  readonly limits: NatsLimitsStore;
  readonly namespace: string;
  readonly scope: string;
  private readonly keys: NatsKillSwitchKeys;
  private readonly stamp: StampContext;
  private readonly connection: NatsKvConnection;
  private readonly reports: NatsEngineReports;
  private readonly watches: NatsKillSwitchWatch;
  /** Highest revision this instance has read or written: state must never fall below it. */
  private readonly mark = new RevisionMark();

  constructor(options: NatsKillSwitchStoreOptions) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) throw invalidOptions('NatsKillSwitchStore', parsed.error);
    const settings = parsed.data;
    const servers = settings.servers.map(displayServer);
    this.namespace = settings.namespace;
    this.scope = settings.scope;
    this.name = `nats:${servers[0] ?? ''}/${this.scope}`;
    this.keys = new NatsKillSwitchKeys(this.namespace, this.scope);
    this.stamp = Object.freeze({
      clock: settings.clock ?? systemClock,
      host: settings.host ?? hostname(),
      pid: settings.pid ?? process.pid,
      lastGeneration: () => this.mark.current.generation,
    });
    this.connection = new NatsKvConnection({
      servers: settings.servers,
      description: `NATS KV bucket ${this.keys.bucket} (scope ${this.scope})`,
      bucket: this.keys.bucket,
      requestTimeoutMs: settings.requestTimeoutMs,
      failClosedAfterMs: settings.failClosedAfterMs,
      replicas: settings.replicas,
    });
    this.reports = new NatsEngineReports(this.connection, this.keys);
    this.limits = new NatsLimitsStore(this.connection, this.keys.bucket);
    this.watches = new NatsKillSwitchWatch({
      connection: this.connection,
      keys: this.keys,
      pollIntervalMs: settings.pollIntervalMs,
      failClosedAfterMs: settings.failClosedAfterMs,
      read: () => this.readState(),
      pushed: (record) => this.see(record),
    });
  }

  /** The KV bucket holding this namespace (for operators and tests). */
  get bucket(): string {
    return this.keys.bucket;
  }

  async read(): Promise<KillSwitchRecord | null> {
    const state = await this.readState();
    if (state.unreadable !== undefined) throw state.unreadable;
    return state.record;
  }

  update(decide: Decide): Promise<KillSwitchUpdateResult> {
    return updateNatsKillSwitch({
      connection: this.connection,
      keys: this.keys,
      stamp: this.stamp,
      decide,
      read: () => this.readState(),
      highestSeen: () => this.mark.highest,
      wrote: (record) => this.see(record),
    });
  }

  watch(watcher: KillSwitchWatcher): () => void {
    return this.watches.add(watcher);
  }

  async history(limit?: number): Promise<KillSwitchRecord[]> {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new LivegateError('ERR_USAGE', `history limit must be a whole number, got ${limit}`);
    }
    if (limit === 0) return [];
    const records = await this.connection
      .call(
        'list revisions',
        (kv, signal) => readNatsHistory(kv, this.keys, signal),
        this.connection.listTimeoutMs,
      )
      .catch((error: unknown) => {
        if (isStreamNotFound(error)) return [];
        throw error;
      });
    return limit === undefined ? records : records.slice(-limit);
  }

  publishEngineReport(report: EngineReport): Promise<void> {
    return this.reports.publish(report);
  }

  removeEngineReport(engineId: string): Promise<void> {
    return this.reports.remove(engineId);
  }

  listEngineReports(): Promise<EngineReport[]> {
    return this.reports.list();
  }

  readEngineReport(engineId: string): Promise<EngineReport | undefined> {
    return this.reports.readOne(engineId);
  }

  /** Keeps the high-water mark across processes (see revision-mark-file.ts). */
  persistRevisionMark(persistence: MarkPersistence): void {
    this.mark.persistTo(persistence);
  }

  async close(): Promise<void> {
    this.watches.stopAll();
    await this.connection.close();
    await this.mark.flush();
  }

  /**
   * Every read goes through here, so read(), update() and watchers share one high-water mark. It
   * is taken before the read: a revision seen while the read was in flight is no floor for it.
   */
  private async readState(): Promise<NatsState> {
    const floor = this.mark.current;
    const state = await this.connection.call('read', (kv) => readNatsState(kv, this.keys));
    if (state.unreadable !== undefined) return state;
    // (readNatsState reads a missing bucket as no state: never created, or deleted.)
    const { record } = state;
    const regression = regressionFrom(floor, record);
    if (regression === 'gone') {
      const problem = `revision ${floor.revision} was seen but the state is gone (deleted while running?)`;
      return {
        ...state,
        unreadable: vanished(unreadableState(this.keys, this.keys.state, problem)),
      };
    }
    if (regression === 'backwards' && record !== null) {
      const problem = describeRollback(floor, record);
      const unreadable = unreadableState(this.keys, this.keys.state, problem);
      return {
        ...state,
        record: null,
        unreadable: this.mark.rolledBack(unreadable, floor, record),
      };
    }
    if (record !== null) this.see(record);
    return state;
  }

  private see(record: KillSwitchRecord): void {
    this.mark.see(record);
  }
}

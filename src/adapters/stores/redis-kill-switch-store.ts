// KillSwitchStore on Redis: shared by engines on many hosts, failing closed when the server goes quiet.
/*
 * Design. Keys (see redis-kill-switch-options.ts), for namespace `livegate` and scope `global`:
 *
 *   livegate:killswitch:{global}                 latest record (JSON)
 *   livegate:killswitch:{global}:revisions       list of every record, oldest first: the audit trail
 *   livegate:killswitch:{global}:changed         pub/sub channel, told of every new revision
 *   livegate:killswitch:{global}:unreadable:<t>  an unreadable state an update moved aside
 *   livegate:engines                             hash: engine id -> engine report (per namespace)
 *
 * update(): read the state, call decide, then one Lua script that writes revision n+1 (state,
 * trail, PUBLISH) only if the state is still exactly what was read; otherwise re-read and decide
 * again. So revisions are gap-free and each is written by a writer that read its predecessor.
 *
 * Fail closed: anything stored that does not validate is ERR_STATE_UNREADABLE, as is a state
 * this instance has seen that disappears (a restart without persistence) or goes backwards. An
 * update over it shows decide the error, moves the value aside and writes a revision above every
 * one used before.
 *
 * Watch: a subscriber connection hears `changed` and triggers a re-read on the command connection
 * (one code path for what is delivered); a re-read every pollIntervalMs and after every reconnect
 * covers lost messages. A PING with a deadline runs a few times per failClosedAfterMs: when the
 * server has not answered anything for longer than failClosedAfterMs, every watcher gets
 * ERR_STORE_UNREACHABLE. Calls fail after requestTimeoutMs; the client reconnects forever.
 */
import { RedisLimitsStore } from './redis-limits-store.js';
import { hostname } from 'node:os';
import { systemClock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import { parseRedisServerAddress } from '../../core/redis-server-address.js';
import type { EngineReport, KillSwitchRecord } from '../../core/kill-switch-record.js';
import type {
  KillSwitchStore,
  KillSwitchUpdateResult,
  KillSwitchWatcher,
} from '../../core/ports.js';
import {
  readEngineReport,
  unreadableEngineReport,
  validEngineReport,
} from './kill-switch-record-schema.js';
import {
  isReplyError,
  isWrongType,
  storeErrorFrom,
  messageOf,
  RedisCommandConnection,
  type RedisConnectionSettings,
} from './redis-kill-switch-connection.js';
import {
  redisKillSwitchKeys,
  redisOptionsSchema,
  type RedisKillSwitchKeys,
  type RedisKillSwitchStoreOptions,
} from './redis-kill-switch-options.js';
import {
  readRevisions,
  readStoredState,
  unreadableState,
  type StoredState,
} from './redis-kill-switch-state.js';
import type { ReplicaAcknowledgement } from './redis-compare-and-set.js';
import { updateRedisKillSwitch, type Decide } from './redis-kill-switch-update.js';
import { RedisKillSwitchWatch } from './redis-kill-switch-watch.js';
import {
  describeRollback,
  regressionFrom,
  RevisionMark,
  vanished,
  type MarkPersistence,
} from './revision-mark.js';
import type { StampContext } from './stamp-kill-switch-record.js';
import { invalidOptions } from './store-options-schema.js';

export type { RedisKillSwitchStoreOptions } from './redis-kill-switch-options.js';

export class RedisKillSwitchStore implements KillSwitchStore {
  /** `redis:<host:port>/<scope>`, or `redis+sentinel:<sentinels>/<master name>/<scope>` */
  readonly name: string;
  readonly limits: RedisLimitsStore;
  readonly namespace: string;
  readonly scope: string;
  readonly keys: RedisKillSwitchKeys;
  private readonly stamp: StampContext;
  private readonly acknowledgement: ReplicaAcknowledgement;
  private readonly connection: RedisCommandConnection;
  private readonly watches: RedisKillSwitchWatch;
  /** Highest revision this instance has read or written: the state must never fall below it. */
  private readonly mark = new RevisionMark();
  private closing: Promise<void> | undefined;

  constructor(options: RedisKillSwitchStoreOptions) {
    const parsed = redisOptionsSchema.safeParse(options);
    if (!parsed.success) throw invalidOptions('RedisKillSwitchStore', parsed.error);
    const settings = parsed.data;
    const address = parseRedisServerAddress(settings.url);
    this.name = `${address.label}/${settings.scope}`;
    this.namespace = settings.namespace;
    this.scope = settings.scope;
    this.keys = redisKillSwitchKeys(settings.namespace, settings.scope);
    this.stamp = Object.freeze({
      clock: settings.clock ?? systemClock,
      host: settings.host ?? hostname(),
      pid: settings.pid ?? process.pid,
      lastGeneration: () => this.mark.current.generation,
    });
    this.acknowledgement = Object.freeze({
      replicas: settings.replicasToAcknowledge,
      timeoutMs: settings.replicaTimeoutMs,
    });
    const connectionSettings = (role: string): RedisConnectionSettings => ({
      address,
      storeName: this.name,
      displayUrl: address.displayUrl,
      connectionName: `livegate:${settings.namespace}:${settings.scope}:${role}`,
      requestTimeoutMs: settings.requestTimeoutMs,
    });
    this.connection = new RedisCommandConnection(connectionSettings('command'));
    this.limits = new RedisLimitsStore(this.connection, settings.namespace);
    this.watches = new RedisKillSwitchWatch({
      connection: this.connection,
      subscriberSettings: connectionSettings('subscriber'),
      changedChannel: this.keys.changed,
      pollIntervalMs: settings.pollIntervalMs,
      failClosedAfterMs: settings.failClosedAfterMs,
      read: () => this.read(),
    });
  }

  async read(): Promise<KillSwitchRecord | null> {
    const state = await this.readChecked();
    if (state.unreadable !== undefined) throw state.unreadable;
    return state.record;
  }

  update(decide: Decide): Promise<KillSwitchUpdateResult> {
    return updateRedisKillSwitch({
      connection: this.connection,
      keys: this.keys,
      stamp: this.stamp,
      decide,
      acknowledgement: this.acknowledgement,
      read: () => this.readChecked(),
      highestSeen: () => this.mark.highest,
      wrote: (record) => this.see(record),
    });
  }

  watch(watcher: KillSwitchWatcher): () => void {
    if (this.closing !== undefined) return () => undefined;
    return this.watches.add(watcher);
  }

  async history(limit?: number): Promise<KillSwitchRecord[]> {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new LivegateError('ERR_USAGE', `history limit must be a whole number, got ${limit}`);
    }
    return readRevisions(this.connection, this.keys, limit);
  }

  async publishEngineReport(report: EngineReport): Promise<void> {
    const valid = validEngineReport(report);
    await this.writeReports(`publish engine report ${valid.engineId}`, (client) =>
      client.hset(this.keys.engines, valid.engineId, JSON.stringify(valid)),
    );
  }

  async removeEngineReport(engineId: string): Promise<void> {
    await this.writeReports(`remove engine report ${engineId}`, (client) =>
      client.hdel(this.keys.engines, engineId),
    );
  }

  async readEngineReport(engineId: string): Promise<EngineReport | undefined> {
    let text: string | null;
    try {
      text = await this.connection.request('HGET engines', (client) =>
        client.hget(this.keys.engines, engineId),
      );
    } catch (error) {
      if (!isReplyError(error)) throw error;
      if (!isWrongType(error)) throw storeErrorFrom(`HGET ${this.keys.engines}`, error);
      return unreadableEngineReport(engineId, messageOf(error));
    }
    return text === null ? undefined : readEngineReport(text, engineId);
  }

  /** An entry that fails validation is listed as unreadable: that engine must still confirm. */
  async listEngineReports(): Promise<EngineReport[]> {
    let entries: Record<string, string>;
    try {
      entries = await this.connection.request('HGETALL engines', (client) =>
        client.hgetall(this.keys.engines),
      );
    } catch (error) {
      if (!isReplyError(error)) throw error;
      if (!isWrongType(error)) throw storeErrorFrom(`HGETALL ${this.keys.engines}`, error);
      throw new LivegateError(
        'ERR_STATE_UNREADABLE',
        `Engine reports in ${this.keys.engines} cannot be listed: ${messageOf(error)}`,
        { cause: error, details: { key: this.keys.engines } },
      );
    }
    const reports: EngineReport[] = [];
    for (const [engineId, text] of Object.entries(entries)) {
      reports.push(readEngineReport(text, engineId));
    }
    return reports.sort((a, b) => (a.engineId < b.engineId ? -1 : a.engineId > b.engineId ? 1 : 0));
  }

  /** Keeps the high-water mark across processes (see revision-mark-file.ts). */
  persistRevisionMark(persistence: MarkPersistence): void {
    this.mark.persistTo(persistence);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.watches.stopAll();
      await this.connection.close();
      await this.mark.flush();
    })();
    return this.closing;
  }

  /**
   * Every read goes through here, so read(), update() and watchers share one high-water mark.
   * Compared with the mark from before the read: a write that finished while the read was on the
   * wire is newer than what the read saw, and must not make the read look like a rewind.
   */
  private async readChecked(): Promise<StoredState> {
    const floor = this.mark.current;
    const state = await readStoredState(this.connection, this.keys);
    if (floor.revision > 0 && state.token === 'none') {
      const problem =
        `revision ${floor.revision} was seen but the state is gone ` +
        '(the server restarted without persistence, or the keys were deleted?)';
      return { ...state, unreadable: vanished(unreadableState(this.keys.state, problem)) };
    }
    if (state.unreadable !== undefined) return state;
    const { record } = state;
    if (record !== null && regressionFrom(floor, record) === 'backwards') {
      const problem = describeRollback(floor, record);
      const unreadable = this.mark.rolledBack(
        unreadableState(this.keys.state, problem),
        floor,
        record,
      );
      return { ...state, record: null, unreadable };
    }
    if (record !== null) this.see(record);
    return state;
  }

  private see(record: KillSwitchRecord): void {
    this.mark.see(record);
  }

  private async writeReports(
    what: string,
    send: Parameters<RedisCommandConnection['request']>[1],
  ): Promise<void> {
    try {
      await this.connection.request(what, send);
    } catch (error) {
      if (!isReplyError(error)) throw error;
      throw new LivegateError('ERR_STATE_WRITE_FAILED', `Could not ${what}: ${messageOf(error)}`, {
        cause: error,
        details: { key: this.keys.engines },
      });
    }
  }
}

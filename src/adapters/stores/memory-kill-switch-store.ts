// In-process KillSwitchStore for tests of the engine: synchronous delivery and injectable read faults.
import type { LimitsRecord } from '../../core/limits-record.js';
import type { LimitsStore } from '../../core/ports.js';
import { hostname } from 'node:os';
import * as z from 'zod';
import { systemClock, type Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import type {
  EngineReport,
  KillSwitchChange,
  KillSwitchRecord,
} from '../../core/kill-switch-record.js';
import type {
  KillSwitchStore,
  KillSwitchUpdateResult,
  KillSwitchWatcher,
} from '../../core/ports.js';
import { validEngineReport } from './kill-switch-record-schema.js';
import { KillSwitchWatcherChannel } from './kill-switch-watcher-channel.js';
import { clockOptionSchema, invalidOptions } from './store-options-schema.js';
import {
  nothingToReturn,
  stampKillSwitchRecord,
  type StampContext,
} from './stamp-kill-switch-record.js';

export interface MemoryKillSwitchStoreOptions {
  clock?: Clock;
  host?: string;
  pid?: number;
}

const optionsSchema = z.strictObject({
  clock: clockOptionSchema.optional(),
  host: z.string().min(1).optional(),
  pid: z.int().min(0).optional(),
});

type Decide = Parameters<KillSwitchStore['update']>[0];

/** Runs synchronous work as a promise, so a throw becomes a rejection like in the real stores. */
function settle<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}

export class MemoryKillSwitchStore implements KillSwitchStore {
  readonly name = 'memory';
  readonly limits = new MemoryLimitsStore();
  private readonly stamp: StampContext;
  private readonly records: KillSwitchRecord[] = [];
  private readonly reports = new Map<string, EngineReport>();
  private readonly channels = new Set<KillSwitchWatcherChannel>();
  private unreadable: LivegateError | undefined;
  private setAsideCount = 0;

  constructor(options: MemoryKillSwitchStoreOptions = {}) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) throw invalidOptions('MemoryKillSwitchStore', parsed.error);
    this.stamp = Object.freeze({
      clock: parsed.data.clock ?? systemClock,
      host: parsed.data.host ?? hostname(),
      pid: parsed.data.pid ?? process.pid,
    });
  }

  read(): Promise<KillSwitchRecord | null> {
    return settle(() => {
      if (this.unreadable !== undefined) throw this.unreadable;
      return this.records.at(-1) ?? null;
    });
  }

  /** Watchers hear about the new record before this resolves, so engine tests need no waiting. */
  update(decide: Decide): Promise<KillSwitchUpdateResult> {
    return settle(() => this.updateNow(decide));
  }

  watch(watcher: KillSwitchWatcher): () => void {
    const channel = new KillSwitchWatcherChannel(watcher);
    this.channels.add(channel);
    // The current state arrives just after watch() returns, as it does from the file store's first read.
    queueMicrotask(() => this.refresh(channel));
    return () => {
      channel.stop();
      this.channels.delete(channel);
    };
  }

  history(limit?: number): Promise<KillSwitchRecord[]> {
    return settle(() => {
      if (limit === undefined) return [...this.records];
      if (!Number.isInteger(limit) || limit < 0) {
        throw new LivegateError('ERR_USAGE', `history limit must be a whole number, got ${limit}`);
      }
      return limit === 0 ? [] : this.records.slice(-limit);
    });
  }

  publishEngineReport(report: EngineReport): Promise<void> {
    return settle(() => {
      this.reports.set(report.engineId, validEngineReport(report));
    });
  }

  removeEngineReport(engineId: string): Promise<void> {
    return settle(() => {
      this.reports.delete(engineId);
    });
  }

  readEngineReport(engineId: string): Promise<EngineReport | undefined> {
    return settle(() => {
      const report = this.reports.get(engineId);
      return report === undefined ? undefined : structuredClone(report);
    });
  }

  listEngineReports(): Promise<EngineReport[]> {
    return settle(() => [...this.reports.values()].map((report) => structuredClone(report)));
  }

  close(): Promise<void> {
    for (const channel of this.channels) channel.stop();
    this.channels.clear();
    return Promise.resolve();
  }

  /** Fault injection: reads throw ERR_STATE_UNREADABLE and watchers get onError until restored or repaired. */
  simulateUnreadable(message: string): void {
    this.unreadable = new LivegateError('ERR_STATE_UNREADABLE', message, {
      details: { store: this.name },
    });
    for (const channel of this.channels) this.refresh(channel);
  }

  /** Ends simulated unreadability; watchers are re-armed for onError but get no record unless newer. */
  restoreReadable(): void {
    this.unreadable = undefined;
    for (const channel of this.channels) this.refresh(channel);
  }

  private updateNow(decide: Decide): KillSwitchUpdateResult {
    const unreadable = this.unreadable;
    const current = unreadable === undefined ? (this.records.at(-1) ?? null) : null;
    const change: KillSwitchChange | null = decide(current, unreadable);
    if (change === null) {
      if (current !== null) return { record: current, changed: false };
      throw nothingToReturn(unreadable);
    }
    const revision = (this.records.at(-1)?.revision ?? 0) + 1;
    const record = stampKillSwitchRecord(change, revision, this.stamp, current);
    this.records.push(record);
    // A write over unreadable state is the repair: like the file store, it leaves readable state.
    this.unreadable = undefined;
    for (const channel of this.channels) channel.succeeded(record);
    if (unreadable === undefined) return { record, changed: true };
    this.setAsideCount += 1;
    return { record, changed: true, repairedFrom: `memory:unreadable-${this.setAsideCount}` };
  }

  private refresh(channel: KillSwitchWatcherChannel): void {
    if (this.unreadable !== undefined) channel.failed(this.unreadable);
    else channel.succeeded(this.records.at(-1) ?? null);
  }
}

/** Live limits of one process (tests, the library); append is atomic because JS is single-threaded. */
class MemoryLimitsStore implements LimitsStore {
  private readonly records: LimitsRecord[] = [];

  latest(): Promise<LimitsRecord | null> {
    return Promise.resolve(this.records.at(-1) ?? null);
  }

  append(record: LimitsRecord): Promise<boolean> {
    if (record.revision !== this.records.length + 1) return Promise.resolve(false);
    this.records.push(record);
    return Promise.resolve(true);
  }

  history(): Promise<LimitsRecord[]> {
    return Promise.resolve([...this.records]);
  }
}

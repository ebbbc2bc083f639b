// The embedded default KillSwitchStore: plain files, many processes, no lock file to go stale.
/*
 * Design. A lock file goes stale when its holder is killed -9, and a stale lock can block a kill.
 * Writers are serialised instead by an exclusive revision slot:
 *
 *   <stateDirectory>/killswitch/revisions/<revision, 12 digits>.json   one full record per
 *                                                    revision: the append-only audit trail
 *   <stateDirectory>/killswitch/state.json          copy of the latest record (a fast hint)
 *   <stateDirectory>/killswitch/tmp/                writers' temp files
 *   <stateDirectory>/engines/<encoded engineId>.json   engine reports (temp + rename, no fsync;
 *                                                    read with the same bounds as the state)
 *
 * update(): read current n, call decide, write record n+1 to a unique temp file, fsync it, then
 * link() it to revisions/<n+1>.json. link is atomic and fails with EEXIST when another writer
 * took n+1 first: the loser re-reads, decides again and retries (10 s deadline, then
 * ERR_STATE_WRITE_FAILED). So revisions are gap-free, each written only by a writer that read
 * its predecessor, and a writer killed at any instant leaves nothing that blocks the next one:
 * at worst a temp file, removed once older than 60 s. After the link: fsync revisions/, then
 * replace state.json (temp, fsync, rename, fsync killswitch/). Directories are created on the
 * first write, with their parents fsynced.
 *
 * read(): state.json, then roll forward while revisions/<rev+1>.json exists (a writer may have
 * died between link and state.json, or written its pointer after a faster writer's); with no
 * state.json, the highest revision file. Anything that exists but cannot be read, parsed or
 * validated is ERR_STATE_UNREADABLE naming the file, never a guess. An instance also fails
 * closed when state it has seen disappears or goes backwards.
 *
 * Repair: an update over unreadable state is shown the error and writes revision
 * max(revision files, highest this instance saw) + 1, so no number is reused for a different
 * record. An unreadable state.json is renamed to state.json.unreadable-<time>-<random> first
 * (reported as repairedFrom); an unreadable revision file is left in place (see the update module).
 *
 * watch(): fs.watch on the state dir, killswitch/ and revisions/ (re-armed when a directory
 * appears or is recreated) plus a re-read every pollIntervalMs.
 *
 * Reads never block the engine. Every one is asynchronous (fs/promises), because the engine
 * reads from its trading event loop on every poll of every scope and every file event: a
 * synchronous read turns a slow disk into a stalled engine. Each file is opened O_NONBLOCK (a
 * FIFO would otherwise block the open until a writer came), fstat'ed through the handle, and read
 * only if it is a regular file of at most 1 MiB; anything else (FIFO, device, directory, oversize)
 * is ERR_STATE_UNREADABLE naming the file. Each fs call must finish within readTimeoutMs (1 s):
 * one that does not is ERR_STATE_UNREADABLE "read did not finish within N ms", and until that
 * stuck call returns, further reads of the instance fail the same way at once instead of queueing
 * more work behind a dead disk (see the bounded reader). A timeout says nothing about the file,
 * so a repair does not set state.json aside for it. A watch keeps one read in flight and asks for
 * one more if something changed meanwhile, so its results arrive in order. Reads of one instance
 * may overlap (a watch, read(), update()), so each is held to the high-water mark as it stood
 * when that read began. Writes are unchanged: fsyncs and link() as above, not time-bounded.
 *
 * The price is latency on a busy engine: each wait for libuv's pool costs up to one turn of its
 * loop (engine.yieldIntervalMs), where a synchronous read cost none. So the waits a change needs
 * run side by side: state.json with its directory and the next two revision files (a read-ahead
 * the reader only uses where a one-at-a-time walk would have looked), and a watch re-checks its
 * directories after delivering, not before. Three waits remain (open, fstat, read).
 */
import { FileLimitsStore } from './file-limits-store.js';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { systemClock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import type { EngineReport, KillSwitchRecord } from '../../core/kill-switch-record.js';
import type {
  KillSwitchStore,
  KillSwitchUpdateResult,
  KillSwitchWatcher,
} from '../../core/ports.js';
import { GLOBAL_SCOPE } from '../../core/scopes.js';
import {
  resolveFileStoreOptions,
  type FileKillSwitchStoreOptions,
} from './file-kill-switch-options.js';
import { BoundedFileReader } from './file-bounded-reader.js';
import { FileEngineReports } from './file-engine-reports.js';
import { FileKillSwitchLayout, parseRevisionFileName } from './file-kill-switch-layout.js';
import {
  listRevisionNames,
  MAX_RECORD_BYTES,
  readLatestRecord,
  readRecordFile,
  unreadableState,
} from './file-kill-switch-reader.js';
import { FileKillSwitchWatch } from './file-kill-switch-watch.js';
import { describeRollback, regressionFrom, RevisionMark, vanished } from './revision-mark.js';
import { updateFileKillSwitch, type Decide } from './file-kill-switch-update.js';
import type { StampContext } from './stamp-kill-switch-record.js';

export type { FileKillSwitchStoreOptions } from './file-kill-switch-options.js';

export class FileKillSwitchStore implements KillSwitchStore {
  readonly name: string;
  readonly limits: FileLimitsStore;
  readonly stateDirectory: string;
  readonly scope: string;
  private readonly layout: FileKillSwitchLayout;
  private readonly stamp: StampContext;
  private readonly pollIntervalMs: number;
  private readonly useFsWatch: boolean;
  private readonly reports: FileEngineReports;
  /**
   * Shared by every read of this instance, so a stalled disk holds the calls of one read (up to
   * four run side by side) rather than a new set every poll.
   */
  private readonly files: BoundedFileReader;
  private readonly watches = new Set<FileKillSwitchWatch>();
  /** Highest revision this instance has read or written: state must never fall below it. */
  private readonly mark = new RevisionMark();
  private lastTemporaryCleanup = Number.NEGATIVE_INFINITY;

  constructor(options: FileKillSwitchStoreOptions) {
    const resolved = resolveFileStoreOptions(options);
    this.stateDirectory = resolve(resolved.stateDirectory);
    this.scope = resolved.scope;
    this.name = this.scope === GLOBAL_SCOPE ? 'file' : `file/${this.scope}`;
    this.layout = new FileKillSwitchLayout(this.stateDirectory, this.scope);
    this.pollIntervalMs = resolved.pollIntervalMs;
    this.useFsWatch = resolved.useFsWatch;
    this.stamp = Object.freeze({
      clock: resolved.clock ?? systemClock,
      host: resolved.host ?? hostname(),
      pid: process.pid,
      lastGeneration: () => this.mark.current.generation,
    });
    const limits = { timeoutMs: resolved.readTimeoutMs, maxBytes: MAX_RECORD_BYTES };
    this.files = new BoundedFileReader(limits, unreadableState);
    this.reports = new FileEngineReports(this.layout.enginesDirectory, limits);
    this.limits = new FileLimitsStore(this.stateDirectory);
  }

  read(): Promise<KillSwitchRecord | null> {
    return this.readChecked();
  }

  update(decide: Decide): Promise<KillSwitchUpdateResult> {
    const now = Date.now();
    const cleanTemporaryFiles = now - this.lastTemporaryCleanup > 30_000;
    if (cleanTemporaryFiles) this.lastTemporaryCleanup = now;
    return updateFileKillSwitch({
      layout: this.layout,
      stamp: this.stamp,
      decide,
      read: () => this.readChecked(),
      files: this.files,
      highestSeen: () => this.mark.highest,
      wrote: (record) => this.see(record),
      cleanTemporaryFiles,
    });
  }

  watch(watcher: KillSwitchWatcher): () => void {
    const watch = new FileKillSwitchWatch(
      {
        layout: this.layout,
        pollIntervalMs: this.pollIntervalMs,
        useFsWatch: this.useFsWatch,
        read: () => this.readChecked(),
        files: this.files,
      },
      watcher,
    );
    this.watches.add(watch);
    return () => {
      watch.stop();
      this.watches.delete(watch);
    };
  }

  history(limit?: number): Promise<KillSwitchRecord[]> {
    return this.readHistory(limit);
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

  close(): Promise<void> {
    for (const watch of this.watches) watch.stop();
    this.watches.clear();
    return Promise.resolve();
  }

  /**
   * Every read goes through here, so read(), update() and watchers share one high-water mark.
   * Reads overlap now that they are asynchronous, so each is held to the mark as it stood when it
   * started: a read that began before another one saw a newer revision has not gone backwards.
   */
  private async readChecked(): Promise<KillSwitchRecord | null> {
    const floor = this.mark.current;
    const record = await readLatestRecord(this.layout, this.files, floor.revision);
    const regression = regressionFrom(floor, record);
    if (regression === 'gone') {
      throw vanished(
        unreadableState(
          this.layout.killSwitchDirectory,
          `revision ${floor.revision} was seen but the state is gone (deleted while running?)`,
        ),
      );
    }
    if (regression === 'backwards' && record !== null) {
      throw this.mark.rolledBack(
        unreadableState(this.layout.killSwitchDirectory, describeRollback(floor, record)),
        floor,
        record,
      );
    }
    if (record !== null) this.see(record);
    return record;
  }

  private see(record: KillSwitchRecord): void {
    this.mark.see(record);
  }

  private async readHistory(limit: number | undefined): Promise<KillSwitchRecord[]> {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new LivegateError('ERR_USAGE', `history limit must be a whole number, got ${limit}`);
    }
    const revisions = (await listRevisionNames(this.layout, this.files))
      .map(parseRevisionFileName)
      .filter((revision): revision is number => revision !== undefined)
      .sort((a, b) => a - b);
    const selected = limit === undefined ? revisions : limit === 0 ? [] : revisions.slice(-limit);
    const records: KillSwitchRecord[] = [];
    for (const revision of selected) {
      const path = this.layout.revisionPath(revision);
      const record = await readRecordFile(this.files, path, revision);
      if (record === undefined) throw unreadableState(path, 'listed but vanished while reading');
      records.push(record);
    }
    return records;
  }
}

// One watch() of the file store: fs.watch for low latency, a periodic re-read for when it misses.
import { watch, type FSWatcher } from 'node:fs';
import { isLivegateError, LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import type { KillSwitchWatcher } from '../../core/ports.js';
import type { BoundedFileReader } from './file-bounded-reader.js';
import type { FileKillSwitchLayout } from './file-kill-switch-layout.js';
import { KillSwitchWatcherChannel } from './kill-switch-watcher-channel.js';

export interface FileKillSwitchWatchOptions {
  readonly layout: FileKillSwitchLayout;
  readonly pollIntervalMs: number;
  readonly useFsWatch: boolean;
  /** The store's checked read (it also tracks the highest revision seen). */
  readonly read: () => Promise<KillSwitchRecord | null>;
  /** The store's bounded reader: arming must not hang on a stalled disk either. */
  readonly files: BoundedFileReader;
}

interface ArmedWatcher {
  readonly watcher: FSWatcher;
  /** inotify follows the inode: a directory deleted and recreated needs a new watcher. */
  readonly inode: number;
}

export class FileKillSwitchWatch {
  private readonly channel: KillSwitchWatcherChannel;
  private readonly armed = new Map<string, ArmedWatcher>();
  private readonly timer: NodeJS.Timeout;
  private pending: NodeJS.Immediate | undefined;
  private reading = false;
  /** A change was signalled while a read was in flight: read once more when it is done. */
  private readAgain = false;

  constructor(
    private readonly options: FileKillSwitchWatchOptions,
    watcher: KillSwitchWatcher,
  ) {
    this.channel = new KillSwitchWatcherChannel(watcher);
    this.timer = setInterval(() => this.readNow(), options.pollIntervalMs);
    // A watch must never be what keeps a process alive.
    this.timer.unref();
    this.schedule();
  }

  stop(): void {
    this.channel.stop();
    clearInterval(this.timer);
    if (this.pending !== undefined) clearImmediate(this.pending);
    this.pending = undefined;
    for (const { watcher } of this.armed.values()) watcher.close();
    this.armed.clear();
  }

  /**
   * One write fires several events (link, rename, change); setImmediate runs after the poll
   * phase has delivered them all, so they collapse into one re-read.
   */
  private schedule(): void {
    if (this.pending !== undefined || this.channel.isStopped) return;
    this.pending = setImmediate(() => {
      this.pending = undefined;
      this.readNow();
    });
  }

  /**
   * One read in flight at a time, so results reach the watcher in the order the reads began: an
   * old read's error can never land after a newer read's record (or the reverse). A request that
   * comes in meanwhile is remembered, and served by one more read after this one.
   */
  private readNow(): void {
    if (this.channel.isStopped) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    void this.readOnce().finally(() => {
      this.reading = false;
      if (this.readAgain) {
        this.readAgain = false;
        this.readNow();
      }
    });
  }

  /**
   * Read first and deliver, then check the watched directories: on a busy engine every wait for
   * the thread pool costs up to one turn of its loop, and a kill should not queue behind three
   * stats. Whenever arming adds a watcher, a change may have slipped in before it was armed, so
   * one more read follows.
   */
  private async readOnce(): Promise<void> {
    await this.readAndDeliver();
    if (this.options.useFsWatch && (await this.arm())) this.schedule();
  }

  private async readAndDeliver(): Promise<void> {
    try {
      this.channel.succeeded(await this.options.read());
    } catch (error) {
      this.channel.failed(
        isLivegateError(error)
          ? error
          : new LivegateError(
              'ERR_STATE_UNREADABLE',
              `Kill-switch state read failed: ${String(error)}`,
              {
                cause: error,
              },
            ),
      );
    }
  }

  /**
   * (Re-)arms fs.watch on each directory that exists now; a missing one is retried next poll. One
   * that cannot be checked keeps its watcher: the read reports the problem. True if any was armed.
   */
  private async arm(): Promise<boolean> {
    const { watchRoot, killSwitchDirectory, revisionsDirectory } = this.options.layout;
    const directories = [watchRoot, killSwitchDirectory, revisionsDirectory];
    const inodes = await Promise.all(
      directories.map((directory) =>
        this.options.files.stat(directory).then(
          (stats) => stats?.ino,
          () => 'unknown' as const,
        ),
      ),
    );
    let armedAny = false;
    for (const [index, directory] of directories.entries()) {
      const inode = inodes[index];
      const existing = this.armed.get(directory);
      if (this.channel.isStopped) return false;
      if (inode === 'unknown' || existing?.inode === inode) continue;
      existing?.watcher.close();
      this.armed.delete(directory);
      if (inode !== undefined && this.armOne(directory, inode)) armedAny = true;
    }
    return armedAny;
  }

  private armOne(directory: string, inode: number): boolean {
    let watcher: FSWatcher;
    try {
      watcher = watch(directory, { persistent: false }, () => this.schedule());
    } catch {
      return false; // Vanished between stat and watch, or out of inotify watches: polling covers it.
    }
    watcher.on('error', () => {
      watcher.close();
      if (this.armed.get(directory)?.watcher === watcher) this.armed.delete(directory);
      this.schedule();
    });
    this.armed.set(directory, { watcher, inode });
    return true;
  }
}

// The NATS store's watchers: pushed changes, a periodic re-read, and failing closed on silence.
import { KvWatchInclude, type KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import type { KillSwitchWatcher } from '../../core/ports.js';
import { KillSwitchWatcherChannel } from './kill-switch-watcher-channel.js';
import type { NatsKillSwitchKeys } from './nats-kill-switch-keys.js';
import type { NatsKvConnection } from './nats-kv-connection.js';
import { parseRecord, type NatsState } from './nats-kill-switch-reader.js';

export interface NatsWatchOptions {
  readonly connection: NatsKvConnection;
  readonly keys: NatsKillSwitchKeys;
  readonly pollIntervalMs: number;
  readonly failClosedAfterMs: number;
  /** The store's checked read: unreadable state comes back as a value, unreachable throws. */
  readonly read: () => Promise<NatsState>;
  /** A record that arrived by push, so the store's high-water mark includes it. */
  readonly pushed: (record: KillSwitchRecord) => void;
}

/**
 * One per store, shared by its watchers. It reports facts only: pushed records, records and
 * unreadable state from a periodic re-read (the fallback for a missed push). Whether silence means
 * failing closed is decided in one place for every store, by the kill switch's StoreContact. The
 * push watch is restarted and the state re-read on every reconnect, because a change made while
 * disconnected is never pushed.
 */
export class NatsKillSwitchWatch {
  private readonly channels = new Set<KillSwitchWatcherChannel>();
  private readonly readEveryMs: number;
  private readonly checkEveryMs: number;
  private lastReadAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private stopReconnectListener: (() => void) | undefined;
  private push: QueuedIterator<KvWatchEntry> | undefined;
  private pushStarting = false;
  /** A failed push watch is retried with backoff: a missing bucket must not flood the JetStream API. */
  private pushRetryAt = 0;
  private pushFailures = 0;
  /** The last read found a record: the bucket exists, a push watch can be set up on it. */
  private stateSeen = false;
  private reading = false;
  private readAgain = false;

  constructor(private readonly options: NatsWatchOptions) {
    this.readEveryMs = Math.max(
      10,
      Math.min(options.pollIntervalMs, options.failClosedAfterMs / 4),
    );
    this.checkEveryMs = Math.max(10, Math.min(this.readEveryMs, options.failClosedAfterMs / 20));
  }

  add(watcher: KillSwitchWatcher): () => void {
    const channel = new KillSwitchWatcherChannel(watcher);
    this.channels.add(channel);
    if (this.timer === undefined) this.start();
    this.requestRead();
    return () => {
      channel.stop();
      this.channels.delete(channel);
      if (this.channels.size === 0) this.stop();
    };
  }

  stopAll(): void {
    for (const channel of this.channels) channel.stop();
    this.channels.clear();
    this.stop();
  }

  private start(): void {
    this.timer = setInterval(() => this.tick(), this.checkEveryMs);
    // A watch must never be what keeps a process alive.
    this.timer.unref();
    this.stopReconnectListener = this.options.connection.onReconnect(() => this.restartPush());
    // The push watch starts once a read has found state (tick): a watch on a bucket that does not
    // exist makes the client retry its consumer in the background, flooding the server.
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopReconnectListener?.();
    this.stopReconnectListener = undefined;
    this.push?.stop();
    this.push = undefined;
  }

  private tick(): void {
    if (performance.now() - this.lastReadAt < this.readEveryMs) return;
    this.requestRead();
    if (this.push === undefined && this.stateSeen && performance.now() >= this.pushRetryAt) {
      this.startPush();
    }
  }

  /** One read at a time, so results arrive in order; a request during a read runs right after it. */
  private requestRead(): void {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    this.lastReadAt = performance.now();
    void this.readUntilSettled();
  }

  private async readUntilSettled(): Promise<void> {
    do {
      this.readAgain = false;
      this.lastReadAt = performance.now();
      await this.readOnce();
    } while (this.readAgain && this.timer !== undefined);
    this.reading = false;
  }

  private async readOnce(): Promise<void> {
    let state: NatsState;
    try {
      state = await this.options.read();
    } catch {
      return; // Unreachable: the kill switch's contact policy decides what silence means.
    }
    this.stateSeen = state.record !== null;
    if (!this.stateSeen && this.push !== undefined) {
      // The bucket or its state is gone: a push consumer on it would retry in the background.
      this.push.stop();
      this.push = undefined;
    }
    for (const channel of this.channels) {
      if (state.unreadable === undefined) channel.succeeded(state.record);
      else channel.failed(state.unreadable);
    }
  }

  private startPush(): void {
    if (this.pushStarting || this.timer === undefined) return;
    this.pushStarting = true;
    const { connection, keys } = this.options;
    void connection
      .call('watch', async (kv, signal) => {
        const entries = await kv.watch({
          key: keys.revisions,
          include: KvWatchInclude.UpdatesOnly,
        });
        // Given up on (timed out) while the server was creating it: nobody would ever stop it.
        if (signal.aborted) entries.stop();
        return entries;
      })
      .then(
        (entries) => {
          if (this.timer === undefined) return entries.stop();
          this.pushFailures = 0;
          this.push = entries;
          void this.follow(entries);
          // Changes between the last read and the push watch starting are only seen by a read.
          this.requestRead();
        },
        () => {
          // Retried later, backing off to 5 s: each attempt creates a consumer on the server.
          this.pushFailures++;
          const delay = Math.min(5_000, 100 * 2 ** Math.min(this.pushFailures, 6));
          this.pushRetryAt = performance.now() + delay * (0.5 + Math.random() / 2);
        },
      )
      .finally(() => {
        this.pushStarting = false;
      });
  }

  private restartPush(): void {
    this.push?.stop();
    this.push = undefined;
    // The server may have come back without the bucket: read first, the next tick starts the push.
    this.stateSeen = false;
    this.requestRead();
  }

  private async follow(entries: QueuedIterator<KvWatchEntry>): Promise<void> {
    try {
      for await (const entry of entries) this.deliverPushed(entry);
    } catch {
      // The consumer failed; a new one is started on the next tick.
    } finally {
      if (this.push === entries) this.push = undefined;
    }
  }

  private deliverPushed(entry: KvWatchEntry): void {
    this.options.connection.touch();
    const record = this.recordOf(entry);
    if (record === undefined) {
      // A deleted or unreadable revision: the checked read says what is wrong with it.
      this.requestRead();
      return;
    }
    this.options.pushed(record);
    for (const channel of this.channels) channel.succeeded(record);
  }

  private recordOf(entry: KvWatchEntry): KillSwitchRecord | undefined {
    const { keys } = this.options;
    const revision = keys.parseRevision(entry.key);
    if (revision === undefined || entry.operation !== 'PUT') return undefined;
    try {
      return parseRecord(keys, entry.key, entry.value, revision);
    } catch {
      return undefined;
    }
  }
}

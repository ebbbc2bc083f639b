// Watchers of one store instance: pub/sub for speed, a periodic re-read for what pub/sub misses, and
// probes that drop half-open links. Facts only: the kill switch's contact policy decides on silence.
import type { Redis } from 'ioredis';
import { isLivegateError, LivegateError } from '../../core/errors.js';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import type { KillSwitchWatcher } from '../../core/ports.js';
import { KillSwitchWatcherChannel } from './kill-switch-watcher-channel.js';
import {
  messageOf,
  openRedisClient,
  type RedisCommandConnection,
  type RedisConnectionSettings,
} from './redis-kill-switch-connection.js';

export interface RedisWatchContext {
  readonly connection: RedisCommandConnection;
  readonly subscriberSettings: RedisConnectionSettings;
  readonly changedChannel: string;
  readonly pollIntervalMs: number;
  readonly failClosedAfterMs: number;
  /** The store's checked read (tracks the highest revision seen). */
  readonly read: () => Promise<KillSwitchRecord | null>;
}

/** A heartbeat tick this late means our own event loop stalled, not that the server went quiet. */
const STALL_TICKS = 3;

export class RedisKillSwitchWatch {
  private readonly channels = new Set<KillSwitchWatcherChannel>();
  private readonly tickMs: number;
  private readonly probeEveryMs: number;
  private subscriber: Redis | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopReadyListener: (() => void) | undefined;
  private reading = false;
  private readAgain = false;
  private probing = false;
  private lastTickAt = 0;

  constructor(private readonly context: RedisWatchContext) {
    this.tickMs = Math.min(100, Math.max(5, Math.round(context.failClosedAfterMs / 10)));
    // A few probes per failClosedAfterMs, so a healthy server is never silent for that long.
    this.probeEveryMs = Math.max(this.tickMs, Math.floor(context.failClosedAfterMs / 4));
  }

  add(watcher: KillSwitchWatcher): () => void {
    const channel = new KillSwitchWatcherChannel(watcher);
    this.channels.add(channel);
    if (this.channels.size === 1) this.start();
    this.refresh();
    return () => {
      channel.stop();
      if (this.channels.delete(channel) && this.channels.size === 0) this.stop();
    };
  }

  stopAll(): void {
    for (const channel of this.channels) channel.stop();
    this.channels.clear();
    this.stop();
  }

  private start(): void {
    const now = performance.now();
    this.lastTickAt = now;
    this.subscriber = this.openSubscriber();
    // After any reconnect, re-read: a change may have been made while we could not hear it.
    this.stopReadyListener = this.context.connection.onReady(() => this.refresh());
    this.timers = [
      setInterval(() => this.refresh(), this.context.pollIntervalMs),
      setInterval(() => this.heartbeat(), this.tickMs),
    ];
    // A watch must never be what keeps a process alive.
    for (const timer of this.timers) timer.unref();
  }

  private stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.stopReadyListener?.();
    this.stopReadyListener = undefined;
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private openSubscriber(): Redis {
    const subscriber = openRedisClient(this.context.subscriberSettings);
    // Its outages need no report of their own: the heartbeat on the command connection judges.
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string) => {
      if (channel === this.context.changedChannel) this.refresh();
    });
    subscriber.on('ready', () => {
      subscriber.subscribe(this.context.changedChannel).then(
        // Subscribed from now on; re-read whatever was published before.
        () => this.refresh(),
        // Not subscribed (a timeout drops the socket and we subscribe again on reconnect; an ACL
        // refusal does not): the periodic re-read still delivers every change.
        () => undefined,
      );
    });
    return subscriber;
  }

  /** Reads now, or once more right after the read in flight (which may predate the change). */
  private refresh(): void {
    if (this.channels.size === 0) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    void this.readUntilCurrent();
  }

  private async readUntilCurrent(): Promise<void> {
    try {
      do {
        this.readAgain = false;
        await this.readOnce();
      } while (this.readAgain && this.channels.size > 0);
    } finally {
      this.reading = false;
    }
  }

  private async readOnce(): Promise<void> {
    let record: KillSwitchRecord | null;
    try {
      record = await this.context.read();
    } catch (error) {
      // Unreachable is judged by the heartbeat, over failClosedAfterMs, not by one slow read.
      if (isLivegateError(error, 'ERR_STORE_UNREACHABLE')) return;
      const failure = isLivegateError(error)
        ? error
        : new LivegateError(
            'ERR_STATE_UNREADABLE',
            `Kill-switch state read failed: ${messageOf(error)}`,
            {
              cause: error,
            },
          );
      for (const channel of [...this.channels]) channel.failed(failure);
      return;
    }
    for (const channel of [...this.channels]) channel.succeeded(record);
  }

  /**
   * Probes keep the links honest (a frozen server's half-open socket is dropped and re-dialled);
   * what silence means for the gates is decided by the kill switch's contact policy, not here.
   */
  private heartbeat(): void {
    const now = performance.now();
    const stalled = now - this.lastTickAt > STALL_TICKS * this.tickMs;
    this.lastTickAt = now;
    if (stalled || now - this.context.connection.lastContactAt >= this.probeEveryMs) this.probe();
  }

  /**
   * A PING with a deadline on both connections: SIGSTOP keeps TCP open, so only a round trip tells
   * a frozen server from an idle one. A PING left unanswered also makes socketTimeout drop the
   * connection, which is what recovers a half-open link.
   */
  private probe(): void {
    if (!this.probing) {
      this.probing = true;
      this.context.connection
        .request('PING', (client) => client.ping())
        .catch(() => undefined)
        .finally(() => {
          this.probing = false;
        });
    }
    if (this.subscriber?.status === 'ready') this.subscriber.ping().catch(() => undefined);
  }
}

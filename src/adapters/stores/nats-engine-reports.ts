// Engine heartbeats in the namespace's bucket, one key per engine, shared by every scope.
import { JetStreamApiError } from '@nats-io/jetstream';
import { Bucket, type KV } from '@nats-io/kv';
import { LivegateError } from '../../core/errors.js';
import type { EngineReport } from '../../core/kill-switch-record.js';
import {
  readEngineReport,
  unreadableEngineReport,
  validEngineReport,
} from './kill-switch-record-schema.js';
import type { NatsKillSwitchKeys } from './nats-kill-switch-keys.js';
import { isStreamNotFound, type KvOperation, type NatsKvConnection } from './nats-kv-connection.js';
import { forEachEntry } from './nats-kill-switch-reader.js';

/**
 * Listing replays the engines' keys through a short-lived JetStream consumer: far dearer than a
 * file read. Callers that poll (confirmations every few ms) share one listing in flight, and a new
 * one starts at most this often, so a waiting `kill` cannot flood the server with consumers.
 */
const MIN_LIST_INTERVAL_MS = 20;

export class NatsEngineReports {
  private listing: Promise<EngineReport[]> | undefined;
  private lastListStartedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly connection: NatsKvConnection,
    private readonly keys: NatsKillSwitchKeys,
  ) {}

  async publish(report: EngineReport): Promise<void> {
    const valid = validEngineReport(report);
    const key = this.keys.engine(valid.engineId);
    await this.write(`put ${key}`, (kv) => kv.put(key, JSON.stringify(valid)));
  }

  /** A delete marker for an id never published is harmless, so no read comes first. */
  async remove(engineId: string): Promise<void> {
    const key = this.keys.engine(engineId);
    await this.write(`delete ${key}`, (kv) => kv.delete(key));
  }

  /**
   * The latest entry per key wins (the bucket may keep more than one); deleted keys drop out.
   * Reports that fail validation, or sit under another engine's key, are skipped: a bad report
   * makes one engine look absent, not all of them.
   */
  list(): Promise<EngineReport[]> {
    this.listing ??= this.throttledList().finally(() => {
      this.listing = undefined;
    });
    return this.listing;
  }

  /** One engine's report: a direct read of its key, no listing. */
  async readOne(engineId: string): Promise<EngineReport | undefined> {
    const key = this.keys.engine(engineId);
    let entry: Awaited<ReturnType<KV['get']>>;
    try {
      entry = await this.connection.call(`get ${key}`, (kv) => kv.get(key));
    } catch (error) {
      if (isStreamNotFound(error)) return undefined;
      throw error;
    }
    if (entry === null || entry.operation !== 'PUT') return undefined;
    return this.decoded(key, entry.value);
  }

  private async throttledList(): Promise<EngineReport[]> {
    const wait = this.lastListStartedAt + MIN_LIST_INTERVAL_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.lastListStartedAt = performance.now();
    return this.listOnce();
  }

  private async listOnce(): Promise<EngineReport[]> {
    const latest = new Map<string, Uint8Array | undefined>();
    const listed = this.connection.call(
      'list engine reports',
      async (kv, signal) => {
        // One stream-info call names every engine key present now and the stream's last sequence.
        const present = await this.presentKeys(kv);
        // nats.js ends a listing when a message arrives with nothing pending behind it, which never
        // happens while engines keep publishing: stop at the first message newer than the stream
        // was when we started (delivery is in stream order, so everything before it has been seen).
        const entries = await kv.history({ key: this.keys.engines });
        await forEachEntry(entries, signal, (entry) => {
          latest.set(entry.key, entry.operation === 'PUT' ? entry.value : undefined);
          if (entry.revision >= present.lastSequence) entries.stop();
        });
        // A key whose old entry was replaced before the scan reached it, by a newer one after the
        // stop, was never delivered: an engine heartbeating mid-listing dropped out of it (and a
        // kill called it stopped). Each such key is read directly.
        const unseen = present.keys.filter((key) => !latest.has(key));
        const read = await Promise.all(unseen.map((key) => kv.get(key)));
        unseen.forEach((key, index) => {
          const entry = read[index];
          latest.set(key, entry?.operation === 'PUT' ? entry.value : undefined);
        });
      },
      this.connection.listTimeoutMs,
    );
    try {
      await listed;
    } catch (error) {
      if (isStreamNotFound(error)) return []; // No bucket, no engines.
      throw error;
    }
    const reports: EngineReport[] = [];
    for (const [key, value] of latest) {
      if (value !== undefined) reports.push(this.decoded(key, value));
    }
    return reports.sort((a, b) => (a.engineId < b.engineId ? -1 : a.engineId > b.engineId ? 1 : 0));
  }

  private decoded(key: string, value: Uint8Array): EngineReport {
    const engineId = this.keys.parseEngine(key) ?? key;
    const report = readEngineReport(new TextDecoder().decode(value), engineId);
    // A report filed under another engine's key is not that engine's word.
    return report.engineId === engineId
      ? report
      : unreadableEngineReport(engineId, `its key holds a report for ${report.engineId}`);
  }

  /** The engine keys the bucket holds (deleted ones included) and its last sequence, at one instant. */
  private async presentKeys(kv: KV): Promise<{ keys: string[]; lastSequence: number }> {
    if (!(kv instanceof Bucket)) throw new Error('engine listing needs a JetStream KV bucket');
    const info = await kv.jsm.streams.info(kv.bucketName(), {
      subjects_filter: `${kv.prefix}.${this.keys.engines}`,
    });
    const keys = Object.keys(info.state.subjects ?? {}).map((subject) =>
      subject.slice(kv.prefixLen),
    );
    return { keys, lastSequence: info.state.last_seq };
  }

  private async write(what: string, operation: KvOperation<unknown>): Promise<void> {
    try {
      await this.connection.call(what, operation, undefined, { createBucket: true });
    } catch (error) {
      if (!(error instanceof JetStreamApiError)) throw error;
      throw new LivegateError('ERR_STATE_WRITE_FAILED', `Could not ${what}: ${error.message}`, {
        cause: error,
        details: { bucket: this.keys.bucket },
      });
    }
  }
}

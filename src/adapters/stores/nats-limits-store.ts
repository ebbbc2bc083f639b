// Live limits in the kill switch's NATS KV bucket: one key per revision (limits.rev.<12 digits>),
// claimed with a KV create, which fails for every writer but the first.

import { LivegateError } from '../../core/errors.js';
import type { LimitsRecord } from '../../core/limits-record.js';
import type { LimitsStore } from '../../core/ports.js';
import {
  isStreamNotFound,
  isWrongLastSequence,
  type NatsKvConnection,
} from './nats-kv-connection.js';
import { parseLimitsRecord, serialiseLimitsRecord } from './limits-record-codec.js';

const REVISION_DIGITS = 12;

function revisionKey(revision: number): string {
  return `limits.rev.${String(revision).padStart(REVISION_DIGITS, '0')}`;
}

export class NatsLimitsStore implements LimitsStore {
  /** The highest revision seen: latest() probes forward from it, one get per call when unchanged. */
  private known: LimitsRecord | null = null;

  constructor(
    private readonly connection: NatsKvConnection,
    private readonly bucket: string,
  ) {}

  async latest(): Promise<LimitsRecord | null> {
    let latest = this.known;
    for (;;) {
      const next = await this.get((latest?.revision ?? 0) + 1);
      if (next === null) break;
      latest = next;
    }
    this.known = latest;
    return latest;
  }

  async append(record: LimitsRecord): Promise<boolean> {
    const key = revisionKey(record.revision);
    try {
      await this.connection.call(
        `create ${key}`,
        (kv) => kv.create(key, serialiseLimitsRecord(record)),
        undefined,
        { createBucket: true },
      );
      return true;
    } catch (error) {
      if (isWrongLastSequence(error)) return false;
      throw error;
    }
  }

  async history(): Promise<LimitsRecord[]> {
    const records: LimitsRecord[] = [];
    for (let revision = 1; ; revision += 1) {
      const record = await this.get(revision);
      if (record === null) return records;
      records.push(record);
    }
  }

  private async get(revision: number): Promise<LimitsRecord | null> {
    const key = revisionKey(revision);
    const entry = await this.connection
      .call(`get ${key}`, (kv) => kv.get(key))
      .catch((error: unknown) => {
        // No bucket yet: nothing was ever written, so there are no limits records either.
        if (isStreamNotFound(error)) return null;
        throw error;
      });
    if (entry === null || entry.operation !== 'PUT') return null;
    const where = `${this.bucket}/${key}`;
    const record = parseLimitsRecord(new TextDecoder().decode(entry.value), where, revision);
    if (record.revision !== revision) {
      throw new LivegateError(
        'ERR_STATE_UNREADABLE',
        `limits record ${where} says revision ${record.revision}`,
      );
    }
    return record;
  }
}

// Live limits in the kill switch's Redis: one list per namespace, a revision per entry, appended
// by a script that checks the list's length first, so revision n+1 is written exactly once.

import { LivegateError } from '../../core/errors.js';
import type { LimitsRecord } from '../../core/limits-record.js';
import type { LimitsStore } from '../../core/ports.js';
import type { RedisCommandConnection } from './redis-kill-switch-connection.js';
import { parseLimitsRecord, serialiseLimitsRecord } from './limits-record-codec.js';

const APPEND_IF_NEXT = `
if redis.call('LLEN', KEYS[1]) ~= tonumber(ARGV[1]) - 1 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
return 1
`;

export class RedisLimitsStore implements LimitsStore {
  private readonly key: string;

  constructor(
    private readonly connection: RedisCommandConnection,
    namespace: string,
  ) {
    this.key = `${namespace}:limits`;
  }

  async latest(): Promise<LimitsRecord | null> {
    const [length, text] = await this.connection.request('read limits', async (client) => {
      const replies = await client.multi().llen(this.key).lindex(this.key, -1).exec();
      return [replies?.[0]?.[1], replies?.[1]?.[1]] as [unknown, unknown];
    });
    if (typeof text !== 'string') return null;
    return this.parse(text, Number(length));
  }

  async append(record: LimitsRecord): Promise<boolean> {
    const written = await this.connection.request(`write limits revision ${record.revision}`, (c) =>
      c.eval(APPEND_IF_NEXT, 1, this.key, String(record.revision), serialiseLimitsRecord(record)),
    );
    return written === 1;
  }

  async history(): Promise<LimitsRecord[]> {
    const texts = await this.connection.request('read limits history', (client) =>
      client.lrange(this.key, 0, -1),
    );
    return texts.map((text, index) => this.parse(text, index + 1));
  }

  private parse(text: string, revision: number): LimitsRecord {
    const where = `${this.key}[${revision - 1}]`;
    const record = parseLimitsRecord(text, where, revision);
    if (record.revision !== revision) {
      throw new LivegateError(
        'ERR_STATE_UNREADABLE',
        `limits record ${where} says revision ${record.revision}`,
      );
    }
    return record;
  }
}

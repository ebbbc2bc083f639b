// Options of the Redis kill-switch store, validated once, and the key layout they imply.
import * as z from 'zod';
import type { Clock } from '../../core/clock.js';
import { redisAddressProblem } from '../../core/redis-server-address.js';
import { clockOptionSchema } from './store-options-schema.js';

export interface RedisKillSwitchStoreOptions {
  /**
   * `redis://host:port` (or `rediss://` for TLS), or `redis+sentinel://host:26379,.../MASTER_NAME`
   * to follow the primary a Sentinel group names; credentials may be included and are never echoed.
   */
  url: string;
  /** Prefix of every key of one deployment (default `livegate`). */
  namespace?: string;
  /** Whose kill switch this instance reads and writes: `global`, `desk:fx`, `engine:abc`... */
  scope?: string;
  /** A watcher fails closed when the server has not answered for longer than this (default 1000). */
  failClosedAfterMs?: number;
  /** Fallback re-read period for watchers, in case a notification is lost (default 250). */
  pollIntervalMs?: number;
  /** Longest wait for a connection and a reply before a call rejects (default 1000). */
  requestTimeoutMs?: number;
  /** A state write is acknowledged only once this many replicas have it (WAIT; default 0). */
  replicasToAcknowledge?: number;
  /** How long a write waits for those replicas before it fails as not durable (default 500). */
  replicaTimeoutMs?: number;
  clock?: Clock;
  /** Stamped into records (default os.hostname()). */
  host?: string;
  /** Stamped into records (default process.pid). */
  pid?: number;
}

export const redisOptionsSchema = z
  .strictObject({
    url: z.string().superRefine((value, context) => {
      const problem = redisAddressProblem(value);
      if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
    }),
    // No ':' in a namespace, so `<namespace>:` can never be the start of another namespace's keys.
    namespace: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (at most 64)')
      .default('livegate'),
    // No braces: the scope sits inside a {hash tag}, and its closing brace ends it unambiguously.
    scope: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'letters, digits, . _ : - (at most 128)')
      .default('global'),
    failClosedAfterMs: z.int().min(50).max(600_000).default(1000),
    pollIntervalMs: z.int().min(10).max(60_000).default(250),
    requestTimeoutMs: z.int().min(10).max(60_000).default(1000),
    replicasToAcknowledge: z.int().min(0).default(0),
    replicaTimeoutMs: z.int().min(10).max(60_000).default(500),
    clock: clockOptionSchema.optional(),
    host: z.string().min(1).optional(),
    pid: z.int().min(0).optional(),
  })
  // ioredis gives up on any one command after requestTimeoutMs, WAIT included.
  .refine(
    (options) =>
      options.replicasToAcknowledge === 0 || options.replicaTimeoutMs < options.requestTimeoutMs,
    {
      path: ['replicaTimeoutMs'],
      message:
        'must be below requestTimeoutMs, or the client gives up on WAIT before the server answers',
    },
  );

export type RedisKillSwitchSettings = z.output<typeof redisOptionsSchema>;

/**
 * The scope is a Redis Cluster hash tag, so one scope's keys share a slot and the
 * compare-and-set script may touch all of them; engine reports belong to the whole namespace.
 */
export interface RedisKillSwitchKeys {
  /** Latest record (JSON). */
  readonly state: string;
  /** Every revision, oldest first: the audit trail (a list of JSON records). */
  readonly revisions: string;
  /** Pub/sub channel told of every new revision. */
  readonly changed: string;
  /** Prefix of keys an unreadable state is moved to when an update repairs it. */
  readonly unreadablePrefix: string;
  /** Engine reports of the namespace (a hash: engineId to JSON). */
  readonly engines: string;
}

export function redisKillSwitchKeys(namespace: string, scope: string): RedisKillSwitchKeys {
  const state = `${namespace}:killswitch:{${scope}}`;
  return {
    state,
    revisions: `${state}:revisions`,
    changed: `${state}:changed`,
    unreadablePrefix: `${state}:unreadable:`,
    engines: `${namespace}:engines`,
  };
}

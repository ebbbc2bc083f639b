// Options of the Redis kill-switch store, validated once, and the key layout they imply.
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { clockOptionSchema } from './stamp-kill-switch-record.js';

export interface RedisKillSwitchStoreOptions {
  /** `redis://host:port` (or `rediss://` for TLS); credentials may be included and are never echoed. */
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
  clock?: Clock;
  /** Stamped into records (default os.hostname()). */
  host?: string;
  /** Stamped into records (default process.pid). */
  pid?: number;
}

function parseRedisUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'redis:' || url.protocol === 'rediss:' ? url : undefined;
  } catch {
    return undefined;
  }
}

export const redisOptionsSchema = z.strictObject({
  url: z.string().refine((value) => parseRedisUrl(value) !== undefined, {
    message: 'expected a redis:// or rediss:// URL such as redis://127.0.0.1:6379',
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
  clock: clockOptionSchema.optional(),
  host: z.string().min(1).optional(),
  pid: z.int().min(0).optional(),
});

export type RedisKillSwitchSettings = z.output<typeof redisOptionsSchema>;

/** Where the server is, without credentials: for the store's name and error messages. */
export interface RedisServerAddress {
  /** `host:port`, with the default port filled in. */
  readonly hostAndPort: string;
  /** The URL with any user name and password removed. */
  readonly displayUrl: string;
}

export function redisServerAddress(url: string): RedisServerAddress {
  const parsed = parseRedisUrl(url);
  if (parsed === undefined) throw new TypeError(`not a redis URL: ${url}`);
  const hostAndPort = parsed.port === '' ? `${parsed.hostname}:6379` : parsed.host;
  const path = parsed.pathname === '/' ? '' : parsed.pathname;
  return { hostAndPort, displayUrl: `${parsed.protocol}//${parsed.host}${path}` };
}

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
